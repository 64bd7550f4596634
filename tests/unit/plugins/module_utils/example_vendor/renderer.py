# Copyright (c) sipfleet.provisioning contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Example Phone Co. EX phones (``vendor: example``): the example family of docs/development/adding-a-vendor.md.

Files: ``<model>.cfg`` (``ex200.cfg``), shared by the model, points the phone
at ``ex<mac>.cfg``, its own profile: ``NAME=value`` lines. The phones read no
encrypted file, so their profiles go over HTTPS.
"""

from __future__ import annotations

from ansible_collections.sipfleet.provisioning.plugins.module_utils._vendors.base import (
    ProfileFile,
    VendorRenderer,
    mask_assignments,
)
from ansible_collections.sipfleet.provisioning.tests.unit.plugins.module_utils.example_vendor.description import DESCRIPTION

#: The models and their facts.
MODELS = {"EX100": {"lines": 1}, "EX200": {"lines": 2}}

HEADER = "# Example Phone Co. profile"


class ExampleRenderer(VendorRenderer):
    """``<model>.cfg`` bootstrap, ``ex<mac>.cfg`` profile, no encryption."""

    name = "example"
    title = "Example Phone Co."
    description = DESCRIPTION

    def can_encrypt(self, device):
        return False

    def model_info(self, model):
        return MODELS.get(model)

    def known_models(self):
        return sorted(MODELS)

    def validate(self, device, inventory):
        facts = self.model_info(device.model)
        if facts is None:
            raise device.error("%s does not list model %s; known: %s" % (self.title, device.model, ", ".join(self.known_models())),
                               field="model")
        if device.settings.get("encrypt_profiles"):
            raise device.error("is on, but %s phones read no encrypted file: set it to false and use an https "
                               "provisioning_url" % self.title, field="settings.encrypt_profiles")
        if len(device.lines) > facts["lines"]:
            raise device.error("%s has %d line(s)" % (device.model, facts["lines"]), field="lines[%d]" % facts["lines"])
        for index, line in enumerate(device.lines):
            for name in ("extension", "password", "display_name"):
                value = getattr(line, name)
                if not all(" " <= char <= "~" for char in value):
                    raise device.error("may hold printable ASCII only", field="lines[%d].%s" % (index, name))

    def render_device(self, device, inventory):
        pairs = [("ADMIN_PASSWORD", device.settings.get("admin_password") or "")]
        for line in device.lines:
            pairs += [("LINE%d_SERVER" % line.number, "%s:%d" % (line.sip_server, line.sip_port)),
                      ("LINE%d_USER" % line.number, line.extension),
                      ("LINE%d_PASSWORD" % line.number, line.password),
                      ("LINE%d_NAME" % line.number, line.display_name)]
        return [ProfileFile("ex%s.cfg" % device.mac, _text(pairs), device=device.label, secret=True)]

    def render_shared(self, devices, inventory):
        files = {}
        for device in devices:
            url = inventory.model_settings(device.model).get("provisioning_url") or ""
            files[device.model] = ProfileFile("%s.cfg" % device.model.lower(),
                                              _text([("PROFILE_URL", url.rstrip("/") + "/ex{mac}.cfg")]), role="bootstrap")
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
