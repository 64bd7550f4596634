# Copyright (c) sipfleet.provisioning contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Example Phone Co. EX phones (``vendor: example``): the example family of docs/development/adding-a-vendor.md.

Files: ``<model>.cfg`` (``ex200.cfg``), shared by the model, points the phone
at ``ex<mac>.cfg``, its own file of ``NAME=value`` lines. Unencrypted, that
file is the profile. Encrypted (EX200 only), ``ex<mac>.cfg`` is a key file,
served while the device's bootstrap window is open, that gives the phone its
key and sends it to ``ex<mac>.enc``: the profile, ``openssl enc
-aes-256-cbc -md sha256`` with that key.
"""

from __future__ import annotations

from ansible_collections.sipfleet.provisioning.plugins.module_utils._addresses import (
    HostRules,
    UrlRules,
    parse_host,
    parse_url,
)
from ansible_collections.sipfleet.provisioning.plugins.module_utils._vendors.base import (
    ProfileFile,
    VendorRenderer,
    mask_assignments,
)
from ansible_collections.sipfleet.provisioning.tests.unit.plugins.module_utils.example_vendor.description import DESCRIPTION

#: The models and their facts.
MODELS = {"EX100": {"lines": 1, "encrypts": False}, "EX200": {"lines": 2, "encrypts": True}}

HEADER = "# Example Phone Co. profile"
KEY_NAME = "ex_key"
KEY_BYTES = 32
#: The key derivation digest of the phones' openssl decryption.
DIGEST = "sha256"

# Host names (RFC 1123), IPv4, and IPv6 in brackets in a URL.
_HOSTS = HostRules()
_URLS = UrlRules(("http", "https"), HostRules(bare_ipv6=False))


class ExampleRenderer(VendorRenderer):
    """``<model>.cfg`` bootstrap, ``ex<mac>.cfg`` profile or key file, ``ex<mac>.enc`` encrypted profile."""

    name = DESCRIPTION.name
    title = DESCRIPTION.title
    description = DESCRIPTION

    def can_encrypt(self, device):
        return bool(MODELS.get(device.model, {}).get("encrypts"))

    def _encrypted(self, device):
        return bool(device.settings.get("encrypt_profiles")) and self.can_encrypt(device)

    def key_specs(self, device):
        return {KEY_NAME: KEY_BYTES} if self._encrypted(device) else {}

    def model_info(self, model):
        return MODELS.get(model)

    def known_models(self):
        return sorted(MODELS)

    def validate(self, device, inventory):
        facts = self.model_info(device.model)
        if facts is None:
            raise device.error("%s does not list model %s; known: %s" % (self.title, device.model, ", ".join(self.known_models())),
                               field="model")
        if device.settings.get("encrypt_profiles") and not facts["encrypts"]:
            raise device.error("is on, but %s reads no encrypted file: set it to false and use an https "
                               "provisioning_url" % device.model, field="settings.encrypt_profiles")
        # Raises an AddressError naming the device and the field.
        parse_url(device.settings.get("provisioning_url") or "", _URLS, device=device.label, field="settings.provisioning_url")
        if len(device.lines) > facts["lines"]:
            raise device.error("%s has %d line(s)" % (device.model, facts["lines"]), field="lines[%d]" % facts["lines"])
        for index, line in enumerate(device.lines):
            parse_host(line.sip_server or "", _HOSTS, device=device.label, field="lines[%d].sip_server" % index)
            for name in ("extension", "password", "display_name"):
                if not all(" " <= char <= "~" for char in getattr(line, name)):
                    raise device.error("may hold printable ASCII only", field="lines[%d].%s" % (index, name))

    def render_device(self, device, inventory):
        pairs = [("ADMIN_PASSWORD", device.settings.get("admin_password") or "")]
        for line in device.lines:
            pairs += [("LINE%d_SERVER" % line.number, "%s:%d" % (line.sip_server, line.sip_port)),
                      ("LINE%d_USER" % line.number, line.extension),
                      ("LINE%d_PASSWORD" % line.number, line.password),
                      ("LINE%d_NAME" % line.number, line.display_name)]
        path = "ex%s.cfg" % device.mac
        if not self._encrypted(device):
            return [ProfileFile(path, _text(pairs), device=device.label, secret=True, kind="cfg")]
        key = self.require_key(device, KEY_NAME)
        url = device.settings["provisioning_url"].rstrip("/")
        return [
            # A key carrier: plain, secret, the device's own bootstrap file.
            ProfileFile(path, _text([("PROFILE_KEY", key), ("PROFILE_URL", "%s/ex%s.enc" % (url, device.mac))]),
                        device=device.label, secret=True, role="bootstrap", kind="cfg"),
            # Encoded by the chain DESCRIPTION declares for "enc", and tagged with it.
            self.encoded_file("ex%s.enc" % device.mac, _text(pairs), "enc", key, DIGEST, device=device.label),
        ]

    def render_rotation(self, device, next_device, inventory):
        """A new key file and the profile encrypted with the new key: the key file's download proves the change."""
        files = self.render_device(next_device, inventory)
        for item in files:
            item.delivers_keys = item.role == "bootstrap"
        return files

    def render_shared(self, devices, inventory):
        files = {}
        for device in devices:
            url = inventory.model_settings(device.model).get("provisioning_url") or ""
            files[device.model] = ProfileFile("%s.cfg" % device.model.lower(),
                                              _text([("PROFILE_URL", url.rstrip("/") + "/ex{mac}.cfg")]),
                                              role="bootstrap", kind="cfg")
        return [files[model] for model in sorted(files)]

    def is_secret_param(self, name):
        return isinstance(name, str) and self.description.is_secret_param(name)

    def recognizes_text(self, text):
        return text.startswith(HEADER)

    def mask_text(self, text):
        return mask_assignments(text, self.is_secret_param)


def _text(pairs):
    return ("\n".join([HEADER] + ["%s=%s" % pair for pair in pairs]) + "\n").encode("ascii")


RENDERER = ExampleRenderer()
