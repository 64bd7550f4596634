# Copyright (c) sipfleet.provisioning contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The one small interface every vendor renderer implements.

A vendor family is one package, ``_vendors/<family>/``: its ``renderer.py``
defines a subclass of :class:`VendorRenderer` and an instance of it named
``RENDERER``, its ``description.py`` the facts others read
(``_vendors/description.py``); ``_vendors/registry.py`` lists the packages.
Nothing else in the collection knows vendor details.

A renderer turns validated :class:`~._device_model.Device` objects into
:class:`ProfileFile` objects: paths relative to the provisioning root and the
exact bytes a phone downloads.
"""

from __future__ import annotations

import hashlib
import posixpath
import re
from collections import namedtuple

from ansible_collections.sipfleet.provisioning.plugins.module_utils._codec import PLAIN, chain_problem, encode, encrypts
from ansible_collections.sipfleet.provisioning.plugins.module_utils._device_model import all_settings
from ansible_collections.sipfleet.provisioning.plugins.module_utils._directory import directory_url
from ansible_collections.sipfleet.provisioning.plugins.module_utils._errors import ProvisioningError

#: What a masked secret is shown as in a diff (and the value masking of ``_profile_diff``).
MASK = "********"

# Relative POSIX paths of plain names: no "..", no absolute paths, no hidden
# files, nothing a shell or nginx would treat specially.
_PATH_PART_RE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.+-]*$")

#: What a served file is, as the manifest records it and ``--diff`` decodes
#: it: the vendor that made it, its kind (a key of that vendor's declared
#: ``encodings``), its encoding chain (innermost first, see ``_codec``) and
#: the digest of its openssl step (``None`` when it encrypts nothing).
FileTag = namedtuple("FileTag", ("vendor", "kind", "encoding", "digest"))


class ProfileFile:
    """One file to serve.

    ``path``
        relative to the provisioning root, ``/``-separated.
    ``content``
        the bytes served.
    ``device``
        label of the device the file belongs to, or ``None`` for a file shared
        by a model or the whole fleet.
    ``secret``
        the file carries credentials or keys in a form an eavesdropper can
        read: write it 0640 or stricter and never show it in a diff.
    ``plaintext``
        for an encrypted file, its decrypted content (for ``--diff``);
        ``None`` otherwise.
    ``role``
        what the file is for: ``profile`` (the device's configuration),
        ``bootstrap`` (a plain file that delivers a key or points the phone
        to its real profile), ``model`` or ``common`` (shared settings).
    ``vendor``
        the renderer that made the file; set by the registry.
    ``delivers_keys``
        during a key rotation, the file whose complete download proves the
        phone has its new keys (see :meth:`VendorRenderer.render_rotation`).
    ``after_window``
        the file served at the path of a key carrier of the same device once
        that carrier's bootstrap window has closed (Panasonic: the encrypted
        standard file at ``Config<MAC>.cfg``, where ``<MODEL>.cfg`` sends a
        rebooting phone). Never a key carrier itself; see
        :func:`select_window_files`.
    ``kind``
        which of its vendor's declared file kinds it is (a key of the
        description's ``encodings``: ``xml``, ``legacy_binary``, ``enc``...).
    ``encoding``
        the chain ``content`` is ``plaintext`` encoded by (see ``_codec``);
        ``("plain",)`` for a file served as rendered.
    ``digest``
        the key-derivation digest of the chain's openssl step, else ``None``.
    """

    ROLES = ("profile", "bootstrap", "model", "common")

    def __init__(self, path, content, device=None, secret=False, plaintext=None, role="profile", after_window=False,
                 kind=None, encoding=(PLAIN,), digest=None):
        if role not in self.ROLES:
            raise ValueError("unknown file role %r" % (role,))
        problem = chain_problem(encoding, digest)
        if problem is not None:
            raise ValueError("file %s: %s" % (path, problem))
        if after_window and (secret or role != "profile" or device is None):
            # A replacement is what the device reads once its key has been
            # delivered: it must not look like (or be handled as) a carrier.
            raise ValueError("an after_window file is a device's profile and carries nothing readable")
        self.path = path
        self.content = content
        self.device = device
        self.secret = secret
        self.plaintext = plaintext
        self.role = role
        self.vendor = None
        self.delivers_keys = False
        self.after_window = after_window
        self.kind = kind
        self.encoding = tuple(encoding)
        self.digest = digest

    @property
    def tag(self):
        """The file's :class:`FileTag`."""
        return FileTag(self.vendor, self.kind, self.encoding, self.digest)

    @property
    def sha256(self):
        """SHA-256 (hex) of ``content``, computed once per content."""
        content = self.content
        cached = self.__dict__.get("_sha256")
        if cached is None or cached[0] is not content:
            cached = (content, hashlib.sha256(content).hexdigest())
            self.__dict__["_sha256"] = cached
        return cached[1]

    @property
    def size(self):
        """The number of bytes served."""
        return len(self.content)

    def __repr__(self):
        return "ProfileFile(%r, %d bytes, device=%r, role=%s, secret=%s, kind=%s%s)" % (
            self.path, self.size, self.device, self.role, self.secret, self.kind,
            ", after_window" if self.after_window else "")


class CachedFile(ProfileFile):
    """A device file known from the render cache: its metadata, no content.

    Stands for the file of a device that was not rendered again (its
    fingerprint is unchanged) wherever only the metadata is read: bootstrap
    windows, plain-credential checks, duplicate paths, the plan of a root
    (which takes it as unchanged only when the manifest and the file on disk
    say so; otherwise the device is rendered for real).
    """

    def __init__(self, path, device, role, secret, after_window, delivers_keys, sha256, size, vendor, kind,
                 encoding, digest):
        # Not ProfileFile.__init__: the record was checked when the cache was read.
        self.path = path
        self.content = None
        self.device = device
        self.secret = secret
        self.plaintext = None
        self.role = role
        self.vendor = vendor
        self.delivers_keys = delivers_keys
        self.after_window = after_window
        self.kind = kind
        self.encoding = tuple(encoding)
        self.digest = digest
        self._cached_sha256 = sha256
        self._cached_size = size

    @property
    def sha256(self):
        return self._cached_sha256

    @property
    def size(self):
        return self._cached_size


class NativeParam:
    """One parameter in a vendor's own terms, with the inventory field its value comes from.

    ``secret`` marks a password or key: the renderer keeps it out of shared
    files and its ``repr`` never shows it.
    """

    __slots__ = ("name", "value", "field", "secret")

    def __init__(self, name, value, field, secret=False):
        self.name = name
        self.value = str(value)
        self.field = field
        self.secret = secret

    def __repr__(self):
        return "NativeParam(%s, %s)" % (self.name, "<redacted>" if self.secret else repr(self.value))


def plain_text_view(data):
    """``data`` as UTF-8 text, or a one-line summary of binary data (never its bytes)."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return "(%d bytes of binary data)\n" % len(data)


def is_key_carrier(profile_file):
    """Whether ``profile_file`` hands a device its keys: a plain key bootstrap or a rotation handover.

    The same rule as the bootstrap windows apply (``_phone_profiles``).
    """
    if profile_file.device is None or profile_file.after_window:
        return False
    return bool(profile_file.delivers_keys or (profile_file.role == "bootstrap" and profile_file.secret))


def select_window_files(files, dropped=()):
    """The files to serve once the closed bootstrap windows are known.

    ``dropped`` holds the ``id()`` of the key carriers whose window is closed:
    they are left out. An ``after_window`` file is served only where its path
    is served by nothing else, that is once the carrier at that path is
    dropped (or was never rendered); while the carrier's window is open the
    replacement is left out. Pure: the order of ``files`` is kept, nothing is
    changed, and applying it twice gives the same list.
    """
    kept = [item for item in files if id(item) not in dropped]
    taken = set(item.path for item in kept if not item.after_window)
    selected = []
    for item in kept:
        if item.after_window:
            if item.path in taken:
                continue
            taken.add(item.path)
        selected.append(item)
    return selected


def check_relative_path(path, device=None, field="path"):
    """Raise unless ``path`` is a safe relative path inside the provisioning root."""
    parts = path.split("/") if isinstance(path, str) else []
    if (not parts or posixpath.normpath(path) != path
            or not all(_PATH_PART_RE.match(part) and part not in (".", "..") for part in parts)):
        raise ProvisioningError("%r is not a safe relative file path" % (path,), device=device, field=field)
    return path


# --- masking secrets by field --------------------------------------------------
#
# The text forms of the served files, read by a human in ``--diff``: each
# vendor's :meth:`VendorRenderer.mask_text` combines these with its own
# :meth:`VendorRenderer.is_secret_param`. They mask a field's value whatever
# it is, so a password that was changed, rotated or removed from the inventory
# is masked as well as the current one.

# A start tag: name, then attributes (quoted values may hold ">"; unquoted
# and bare ones are accepted as lenient firmware parsers might), then "/>"
# or ">". Names as XML allows them in practice (ASCII).
# Neither a name nor an unquoted value holds "<", so a scan from one "<" stops
# at the next: no quadratic time on a hostile file.
_ATTRIBUTE_RE = re.compile(r"""(\s+)([^\s=/<>"']+)(?:(\s*=\s*)("[^"]*"|'[^']*'|[^\s"'<>]+))?""")
_START_TAG_RE = re.compile(
    r"""<([A-Za-z_][A-Za-z0-9_.:-]*)((?:\s+[^\s=/<>"']+(?:\s*=\s*(?:"[^"]*"|'[^']*'|[^\s"'<>]+))?)*)\s*(/?)>""")
# A NAME=value line (Panasonic's NAME="value", the Grandstream legacy
# binary's P34=value as the diff shows it), commented out or not (an old
# password kept in a comment is still one). The value runs to the end of the
# line, a lone CR included: only LF ends it.
_ASSIGNMENT_RE = re.compile(r"^([ \t#;]*)([A-Za-z0-9_.\[\]-]+)([ \t]*=[ \t]*)([^\n]*?)(\r?)$", re.MULTILINE)


def _element_content_end(text, start, name):
    """``(end of content, end of end tag)`` of element ``name`` whose content starts at ``start``.

    CDATA sections and comments are skipped (a ``</name>`` inside them does
    not close the element) and nested elements of the same name are counted.
    With no end tag, the content runs to the end of the text: a malformed
    file is masked too much rather than too little.
    """
    close_re = re.compile(r"</%s\s*>" % re.escape(name))
    depth = 0
    position = start
    while True:
        lt = text.find("<", position)
        if lt < 0:
            return len(text), len(text)
        for opener, closer in (("<![CDATA[", "]]>"), ("<!--", "-->")):
            if text.startswith(opener, lt):
                end = text.find(closer, lt + len(opener))
                if end < 0:
                    return len(text), len(text)
                position = end + len(closer)
                break
        else:
            close = close_re.match(text, lt)
            if close is not None:
                if depth == 0:
                    return lt, close.end()
                depth -= 1
                position = close.end()
                continue
            tag = _START_TAG_RE.match(text, lt)
            if tag is not None and tag.group(1) == name and not tag.group(3):
                depth += 1
                position = tag.end()
                continue
            position = lt + 1


def _masked_attribute(is_secret):
    def masked(match):
        value = match.group(4)
        if value is None or not is_secret(match.group(2)) or value in ('""', "''"):
            return match.group(0)
        quote = value[0] if value[0] in "\"'" else ""
        return match.group(1) + match.group(2) + match.group(3) + quote + MASK + quote
    return masked


def mask_xml_elements(text, is_secret):
    """``text`` (XML) with the content of every element whose name ``is_secret`` masked, and such attributes too.

    ``<Admin_Passwd ua="na">x</Admin_Passwd>`` becomes
    ``<Admin_Passwd ua="na">********</Admin_Passwd>``; an empty element
    stays empty (it says the value is cleared, which is no secret). The
    content is everything up to the element's real end tag: a value that
    holds markup is escaped in the file, and a hand-made file with CDATA,
    comments or nested tags is masked up to where a parser would end it.
    """
    out = []
    position = 0
    while True:
        tag = _START_TAG_RE.search(text, position)
        if tag is None:
            out.append(text[position:])
            return "".join(out)
        out.append(text[position:tag.start()])
        out.append(_ATTRIBUTE_RE.sub(_masked_attribute(is_secret), tag.group(0)))
        position = tag.end()
        if tag.group(3) or not is_secret(tag.group(1)):
            continue
        content_end, element_end = _element_content_end(text, position, tag.group(1))
        if content_end > position:
            out.append(MASK)
        out.append(text[content_end:element_end])
        position = element_end


def mask_assignments(text, is_secret):
    """``text`` with the value of every ``NAME=value`` line whose name ``is_secret`` masked.

    A quoted value keeps its quotes (``SIP_PASS_1="********"``); an empty
    value stays empty.
    """
    def masked(match):
        value = match.group(4)
        if not is_secret(match.group(2)) or value in ("", '""'):
            return match.group(0)
        shown = '"%s"' % MASK if value.startswith('"') else MASK
        return match.group(1) + match.group(2) + match.group(3) + shown + match.group(5)
    return _ASSIGNMENT_RE.sub(masked, text)


#: The generic settings a family carries only once its package maps them: a
#: family that does not know them reports them (see
#: :meth:`VendorRenderer.settings_not_carried`) instead of dropping them.
NOT_CARRIED_BY_DEFAULT = {
    "function_keys": "the collection maps no function keys for this family",
    "sip_server_secondary": "the collection maps no backup registrar for this family",
    "vlan_id": "the collection maps no VLAN for this family",
    "vlan_priority": "the collection maps no VLAN for this family",
}


#: The generic ``language`` as ``_device_model.SETTINGS`` describes it: an
#: ISO 639-1 code, lower-case, with an optional region (``zh-tw``).
LANGUAGE_CODE = re.compile(r"\A[a-z]{2}(?:-[a-z]{2})?\Z")


def malformed_language(value):
    """Why ``value`` is not a ``language`` code at all, or ``None`` when it is one.

    A malformed value is bad input, an error of the device; a well-formed
    code a family has no value for is a setting the device does not get
    (:func:`language_not_carried`): a warning, or an error under strict.
    """
    if isinstance(value, str) and LANGUAGE_CODE.match(value):
        return None
    return "%r is not a lower-case ISO 639-1 code such as en, de or zh-tw" % (value,)


def language_not_carried(value, known, what, hint=""):
    """Why a family whose ``what`` (``Poly lcl.ml.lang``) has the codes ``known`` does not carry ``language`` ``value``.

    ``None`` when it does, and for an unset or malformed value (the
    renderer refuses a malformed one). The reason depends on the value
    alone, so the run's warnings group the devices by it; ``hint`` says
    what to do instead.
    """
    if value is None or value in known or malformed_language(value):
        return None
    return "no %s value for %s; known: %s%s" % (what, value, ", ".join(sorted(known)), " (%s)" % hint if hint else "")


class VendorRenderer:
    """Base class of the vendor renderers.

    Subclasses set :attr:`name` and override :meth:`model_info`,
    :meth:`validate`, :meth:`key_specs`, :meth:`render_device` and, for
    files shared by several devices, :meth:`render_shared`.
    """

    #: Vendor name as users write it in a device's ``vendor`` field.
    name = None

    #: Human-readable name for documentation and errors.
    title = None

    #: The family's :class:`~.description.VendorDescription` (its ``encodings`` decide how files are encoded).
    description = None

    #: What to tell an inventory whose device file carries a password in
    #: plain text over a plain transport: the secure transport this vendor's
    #: phones are documented to use.
    secure_transport = "an https provisioning_url"

    def transport(self, device):
        """The URL scheme the device fetches its own files over (``tftp``, ``http``, ``https``, ...), or ``None``.

        ``None`` means the inventory does not say (no ``provisioning_url``):
        the phone uses whatever its DHCP options or factory settings name.
        """
        url = device.settings.get("provisioning_url")
        if not isinstance(url, str) or "://" not in url:
            return None
        return url.split("://", 1)[0].strip().lower()

    def can_encrypt(self, device):
        """Whether this device's model is documented to read an encrypted profile."""
        return True

    def model_info(self, model):
        """Facts about a known model (canonical upper-case name), or ``None``."""
        raise NotImplementedError

    def known_models(self):
        """The canonical names of the models this vendor knows."""
        raise NotImplementedError

    def validate(self, device, inventory):
        """Raise :class:`ProvisioningError` for anything this vendor cannot render."""
        raise NotImplementedError

    def validate_shared(self, devices, inventory):
        """Checks that compare a device with the others of its family, for ``devices`` not validated this run.

        An incremental run validates only the devices whose inputs changed;
        a check across devices or models (two models sharing one file) runs
        here over the devices it skipped, so a conflict between a changed
        and an unchanged device is still refused. Default: none.
        """
        return None

    def key_specs(self, device):
        """``{key name: number of random bytes}`` of the per-device keys this device needs.

        The key store (or the inventory's ``keys`` field) supplies them in
        ``device.keys`` as lower-case hex strings before rendering.
        """
        return {}

    def render_device(self, device, inventory):
        """The files that belong to ``device`` alone."""
        raise NotImplementedError

    def render_shared(self, devices, inventory):
        """Files shared by several of this vendor's ``devices`` (model and common files)."""
        return []

    def render_rotation(self, device, next_device, inventory):
        """The files that move ``device`` from its current keys to those of ``next_device``.

        ``next_device`` is the same device with the new keys. The phone must
        be able to read every step with what it has: the files whose complete
        download hands it the new keys get ``delivers_keys = True``. Vendors
        without a documented way to change keys in place raise.
        """
        raise device.error("changing keys in place is not supported for %s devices" % (self.title or self.name),
                           field="keys")

    # -- secrets: declared once, used by the diff, the file marking and the errors --

    def is_secret_param(self, name):
        """Whether parameter ``name`` (as it appears in this vendor's files) holds a password or key.

        The one declaration of a vendor's secrets: ``--diff`` masks these
        fields on both sides whatever their value, renderers that decide a
        file's ``secret`` marking from its parameters and error messages that
        would quote a value use it too. The default declares nothing.
        """
        return False

    def recognizes_text(self, text):
        """Whether ``text`` (a served file as :func:`~._profile_diff.text_view` shows it) is in one of this vendor's formats.

        The diff masks with every vendor whose format a file is in, besides
        the vendor that made it: a path may hold another vendor's file.
        """
        return False

    def mask_text(self, text):
        """``text`` with the value of every field :meth:`is_secret_param` declares masked, in this vendor's formats."""
        return text

    def mask_path(self, path):
        """``path`` (relative to the root) with any part that is a secret (a key used as a directory) masked."""
        return path

    # -- encodings: declared in the description, applied by the codec --

    def encoded_file(self, path, plaintext, kind, key, digest, **fields):
        """A :class:`ProfileFile` of ``kind``: ``plaintext`` encoded by the chain the description declares for it.

        ``key`` and ``digest`` are those of the chain's openssl step;
        ``fields`` the other :class:`ProfileFile` arguments.
        """
        chain = self.description.encodings[kind]
        if not encrypts(chain):
            # Only an encrypted file keeps its plaintext (for --diff); the others are decoded from their bytes.
            return ProfileFile(path, encode(chain, plaintext, None, None), kind=kind, encoding=chain, **fields)
        return ProfileFile(path, encode(chain, plaintext, key, digest), plaintext=plaintext, kind=kind,
                           encoding=chain, digest=digest, **fields)

    def text_view(self, kind, data):
        """The decoded ``data`` of a file of ``kind`` as ``--diff`` shows it, before masking.

        The default is the text itself; a vendor with a binary format
        overrides this to show it as text its :meth:`mask_text` masks.
        """
        return plain_text_view(data)

    def has_http_credentials(self, device):
        """Whether ``device`` opts in to the per-device HTTP credentials its family declares.

        A family that declares ``http_credentials`` in its description hands
        them to the phone in a plain bootstrap (see
        :class:`~.description.HttpCredentialsFacts`); a device has them only
        when its inventory sets the family's opt-in setting.
        """
        facts = self.description.http_credentials if self.description is not None else None
        return bool(facts is not None and facts.key_specs(device.settings))

    def http_password(self, device):
        """The device's HTTP password (a key-store key), or ``None`` when it has no per-device HTTP credentials."""
        if not self.has_http_credentials(device):
            return None
        return self.require_key(device, self.description.http_credentials.key)

    def render_credentials_rotation(self, device, next_device, inventory):
        """A rotation of the HTTP password: the device's files with the new one, its bootstrap the carrier.

        The bootstrap carries the new password under the window rules; while
        the rotation runs the server's password file holds the new password
        (the playbooks give the http_server role the rotating devices' new
        keys), so the device's own files open only with it, and the phone's
        first fetch of one with its own credentials (the access log's
        ``device_auth``) proves it holds them.
        """
        if self.http_password(next_device) is None:
            return VendorRenderer.render_rotation(self, device, next_device, inventory)
        files = self.render_device(next_device, inventory)
        for item in files:
            if item.role == "bootstrap" and item.secret:
                item.delivers_keys = True
        return files

    # -- generic settings a family or model cannot carry --

    def settings_not_carried(self, device):
        """``{setting: why}`` of the generic settings ``device``'s files cannot carry.

        A device that sets one of them gets a warning of the run naming the
        setting, or an error under ``sipfleet_strict`` (see
        :meth:`check_generic_settings`): nothing an inventory sets is dropped
        silently. A family overrides this with what it maps (removing the
        entries of :data:`NOT_CARRIED_BY_DEFAULT` it maps) and adds what its
        files have no place for, with the reason.
        """
        return dict(NOT_CARRIED_BY_DEFAULT)

    def function_key_support(self, device):
        """``(types, count)``: the :data:`~._function_keys.TYPES` ``device``'s model carries, and its number of keys.

        ``count`` ``None`` means unknown (no source gives it): every index is
        accepted. Only read when the family maps ``function_keys``.
        """
        return frozenset(), 0

    def check_generic_settings(self, device, inventory):
        """Report the settings ``device`` does not get; check its function keys against its model.

        A key of a type the model cannot carry, or beyond its keys, is an
        error naming the device, the key's field and the model.
        """
        not_carried = self.settings_not_carried(device)
        settings = all_settings()
        for name in sorted(not_carried):
            value = device.settings.get(name)
            # An empty list (function_keys: []) is how a model or device
            # clears a wider level's list: like unset, nothing to carry.
            if value is not None and value != settings[name].default and not (
                    isinstance(value, (list, tuple)) and not value):
                inventory.not_carried(device.label, self.name, "settings.%s" % name, not_carried[name])
        if "sip_server_secondary" in not_carried and device.settings.get("sip_server_secondary") is None:
            for line in device.lines:
                if line.sip_server_secondary is not None:
                    inventory.not_carried(device.label, self.name, "lines[%d].sip_server_secondary" % (line.number - 1),
                                          not_carried["sip_server_secondary"])
        keys = device.settings.get("function_keys")
        if not keys or "function_keys" in not_carried:
            return
        types, count = self.function_key_support(device)
        for key in keys:
            if key.type not in types:
                raise device.error("model %s cannot carry a %s key; it carries %s" % (
                    device.model, key.type, ", ".join(sorted(types)) or "none"), field=key.field + ".type")
            if count is not None and key.index > count:
                raise device.error("model %s has %d function keys; index %d is beyond them" % (
                    device.model, count, key.index), field=key.field + ".index")

    # -- the fleet's directory (sipfleet_directory; _directory.py) --

    #: Whether a device can read the directory of its own site; ``False``:
    #: the family reads one directory for the whole fleet (with ``per_site``
    #: the run warns for its devices that have a site).
    directory_per_site = True
    #: Added to the run's warnings about this family's directory: what to do instead.
    directory_hint = ""
    #: Whether the family's phonebook carries a contact's group (else the run warns that it drops them).
    directory_groups = False

    def directory_path(self, site):
        """The served path of the family's phonebook for ``site`` (``None``: the fleet-wide one), or ``None``.

        ``None``, the default, means the family has no documented phonebook
        format: it gets no file and the run warns, naming its devices.
        """
        return None

    def directory_schemes(self, device):
        """The URL schemes ``device`` fetches its phonebook over, or ``None`` for whatever its provisioning_url uses.

        A device whose provisioning_url has another scheme gets no directory
        (the run warns).
        """
        return None

    def render_directory(self, entries):
        """The bytes of the phonebook holding ``entries`` (sorted :class:`~._directory.Entry`, no secret)."""
        raise NotImplementedError

    def directory_settings(self, device, url):
        """``[(native parameter, value)]`` pointing ``device`` at its phonebook at ``url`` (default none: it finds it itself)."""
        return []

    def directory_entries(self, entries):
        """``(entries, warnings)``: the sorted ``entries`` the family's phonebook holds, and a warning for each change.

        Default: every entry, unchanged. A family whose format cannot hold
        some (Poly: one entry per number) keeps what it can and says what
        it left out or changed, in warnings of the run.
        """
        return entries, []

    def render_directory_file(self, site, entries):
        """The shared :class:`ProfileFile` of the phonebook of ``site`` (kind ``phonebook``, declared plain)."""
        return ProfileFile(self.directory_path(site), self.render_directory(entries), role="common", kind="phonebook")

    def directory_params(self, device, inventory):
        """:meth:`directory_settings` at the device's directory URL, or ``[]``; a raw parameter of the device wins."""
        url = directory_url(self, device, inventory)
        if url is None:
            return []
        return [(name, value) for name, value in self.directory_settings(device, url) if name not in device.params]

    def require_key(self, device, name):
        """``device.keys[name]``, or an error naming the missing secret."""
        value = device.keys.get(name)
        if not value:
            raise device.error("missing secret: the key store has no %s key for this device" % name, field="keys.%s" % name)
        return value
