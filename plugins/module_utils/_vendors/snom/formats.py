# Copyright (c) sipfleet.provisioning contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The Snom XML files: settings, setting-files containers and the firmware file; encoders and strict decoders.

A settings file (vendor-facts-more.md 3.2, documented) is ``<settings>``
holding ``<phone-settings e="2">``, one element per setting
(``<user_pass idx="1" perm="R">secret</user_pass>``: ``idx`` the identity
for per-identity settings, ``perm`` who may change it), and optionally
``<functionKeys e="2">`` with ``<fkey idx="0" context="active"
perm="R">blf 201</fkey>`` (``idx`` 0-based). A container is
``<setting-files>`` with one ``<file url="..."/>`` per settings file, in
the order the phone reads them. The firmware file is ``<firmware-settings>``
with one ``<firmware perm="R">URL</firmware>``.

The text is UTF-8 with LF line ends, one element per line; values are XML
text, ``&`` ``<`` ``>`` escaped (``"`` too, in attributes). A value cannot
hold a control character (XML 1.0 cannot carry most, and the phone's reading
of tab and line breaks in a value is unknown), so the renderer refuses it.

Each ``parse_*`` reads back exactly what its ``render_*`` writes and refuses
anything else with a :class:`~._errors.ProfileFormatError` that never shows
a value (any value may be a password).
"""

from __future__ import annotations

import re
import unicodedata

from ansible_collections.sipfleet.provisioning.plugins.module_utils._errors import ProfileFormatError

DECLARATION = '<?xml version="1.0" encoding="utf-8"?>'

#: ``perm`` of every setting the collection writes: read-only on the phone,
#: and provisioning overwrites it (``R``; "&", "R" and " " are the same,
#: wiki.snom.com PERMISSIONFLAG). W writes R too.
PERM = "R"
#: The perm flags Snom documents (vendor-facts-more 3.2).
PERMS = ("!", "&", "R", " ", "$", "RW", "")

#: Setting names as Snom's pages write them (``user_pass``, ``ntp_server``, ``dkey_directory``).
NAME_RE = re.compile(r"^[a-z][a-z0-9_]*\Z")
#: The function key types Snom documents ("Function Key Types" page) that the collection writes.
FKEY_TYPES = ("line", "dest", "speed", "blf", "orbit", "keyevent", "url", "dtmf", "transfer", "none")

FORBIDDEN_CATEGORIES = ("Cc", "Cs", "Zl", "Zp", "Cn")

_TEXT_ESCAPES = (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"))
_ATTRIBUTE_ESCAPES = _TEXT_ESCAPES + (('"', "&quot;"),)
_ENTITY_RE = re.compile(r"&(amp|lt|gt|quot);")
_UNESCAPES = {"amp": "&", "lt": "<", "gt": ">", "quot": '"'}


class Setting:
    """One ``<name idx="N" perm="R">value</name>`` of ``<phone-settings>``; ``idx`` ``None`` for a phone-wide one."""

    __slots__ = ("name", "idx", "value", "perm")

    def __init__(self, name, value, idx=None, perm=PERM):
        self.name = name
        self.value = value
        self.idx = idx
        self.perm = perm

    def key(self):
        return (self.name, self.idx)

    def __eq__(self, other):
        return isinstance(other, Setting) and (self.name, self.idx, self.value, self.perm) == (
            other.name, other.idx, other.value, other.perm)

    def __repr__(self):
        # Never the value: it may be a password.
        return "Setting(%s, idx=%r)" % (self.name, self.idx)


class FunctionKeyElement:
    """One ``<fkey idx="I" context="C" [label="L"] perm="R">type argument</fkey>``; ``context`` ``active`` or an identity."""

    __slots__ = ("idx", "value", "context", "label")

    def __init__(self, idx, value, context="active", label=None):
        self.idx = idx
        self.value = value
        self.context = context
        self.label = label

    def as_tuple(self):
        return (self.idx, self.value, self.context, self.label)

    def __eq__(self, other):
        return isinstance(other, FunctionKeyElement) and self.as_tuple() == other.as_tuple()

    def __repr__(self):
        return "FunctionKeyElement(%d, %r, context=%r, label=%r)" % self.as_tuple()


def _key_element(key):
    """A :class:`FunctionKeyElement` of ``key``: one, or an ``(idx, value)`` pair (context ``active``, no label)."""
    return key if isinstance(key, FunctionKeyElement) else FunctionKeyElement(key[0], key[1])


def value_problem(value):
    """Why ``value`` cannot be written as a setting's text, or ``None``. Never quotes the value."""
    for char in value:
        if unicodedata.category(char) in FORBIDDEN_CATEGORIES:
            return "contains the control or line-break character U+%04X, which a Snom setting cannot carry" % ord(char)
    return None


def _escape(value, table):
    for char, entity in table:
        value = value.replace(char, entity)
    return value


def _encode(lines):
    return ("\n".join([DECLARATION] + lines) + "\n").encode("utf-8")


def render_settings(settings, function_keys=()):
    """``[Setting]`` and ``[(idx, "type argument")]`` or ``[FunctionKeyElement]`` -> the bytes of a ``<settings>`` file."""
    lines = ["<settings>", '  <phone-settings e="2">']
    for item in settings:
        idx = ' idx="%d"' % item.idx if item.idx is not None else ""
        perm = _escape(item.perm, _ATTRIBUTE_ESCAPES)
        lines.append('    <%s%s perm="%s">%s</%s>' % (item.name, idx, perm, _escape(item.value, _TEXT_ESCAPES), item.name))
    lines.append("  </phone-settings>")
    if function_keys:
        lines.append('  <functionKeys e="2">')
        for key in map(_key_element, function_keys):
            label = ' label="%s"' % _escape(key.label, _ATTRIBUTE_ESCAPES) if key.label is not None else ""
            lines.append('    <fkey idx="%d" context="%s"%s perm="%s">%s</fkey>' % (
                key.idx, key.context, label, PERM, _escape(key.value, _TEXT_ESCAPES)))
        lines.append("  </functionKeys>")
    lines.append("</settings>")
    return _encode(lines)


def render_container(urls):
    """``[url]`` -> the bytes of a ``<setting-files>`` container naming each in that order."""
    return _encode(["<setting-files>"] + ['  <file url="%s"/>' % _escape(url, _ATTRIBUTE_ESCAPES) for url in urls]
                   + ["</setting-files>"])


def render_firmware(url):
    """The bytes of a ``<firmware-settings>`` file naming the image at ``url``."""
    return _encode(["<firmware-settings>", '  <firmware perm="%s">%s</firmware>' % (PERM, _escape(url, _TEXT_ESCAPES)),
                    "</firmware-settings>"])


# -- decoders ------------------------------------------------------------------------------

def _lines(data, error):
    if not isinstance(data, bytes):
        raise error("must be bytes, got %s" % type(data).__name__)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise error("line %d is not UTF-8" % (data.count(b"\n", 0, exc.start) + 1)) from None
    if "\r" in text:
        raise error("holds a CR; every line ends in LF")
    if not text.endswith("\n"):
        raise error("does not end with LF")
    lines = text[:-1].split("\n")
    if lines[0] != DECLARATION:
        raise error("does not start with the declaration %s" % DECLARATION)
    return lines


def _unescape(raw, number, what, error, quote=False):
    if "<" in raw or ">" in raw or (quote and '"' in raw):
        raise error("line %d: %s holds an unescaped character" % (number, what))
    if "&" in _ENTITY_RE.sub("", raw):
        raise error("line %d: %s holds an & that is not &amp; &lt; &gt; or &quot;" % (number, what))
    value = _ENTITY_RE.sub(lambda found: _UNESCAPES[found.group(1)], raw)
    problem = value_problem(value)
    if problem:
        raise error("line %d: %s %s" % (number, what, problem))
    return value


_SETTING_RE = re.compile(r'^    <([a-z][a-z0-9_]*)(?: idx="(0|[1-9][0-9]{0,3})")? perm="([^"]*)">([^<]*)</([a-z][a-z0-9_]*)>\Z')
_FKEY_RE = re.compile(r'^    <fkey idx="(0|[1-9][0-9]{0,3})" context="(active|[1-9][0-9]?)"(?: label="([^"]*)")? perm="R">'
                      r'([^<]*)</fkey>\Z')


def parse_settings(data, device=None, field=None):
    """``([Setting], [(idx, value)])`` of a settings file, in file order, as :func:`render_settings` writes it.

    The keys' context and label: :func:`parse_function_keys`.
    """
    settings, keys = _parse_settings(data, device, field)
    return settings, [(key.idx, key.value) for key in keys]


def parse_function_keys(data, device=None, field=None):
    """``[FunctionKeyElement]`` of a settings file, in file order (checked as :func:`parse_settings` does)."""
    return _parse_settings(data, device, field)[1]


def _parse_settings(data, device, field):
    """``([Setting], [FunctionKeyElement])`` of a settings file, in file order, as :func:`render_settings` writes it.

    Refuses anything else: another layout, an element whose end tag
    differs, a ``perm`` Snom does not document, a setting (name and idx) or
    a function key given twice, a value :func:`value_problem` refuses.
    """
    def error(message):
        return ProfileFormatError(message, device=device, field=field)

    lines = _lines(data, error)
    if lines[1:3] != ["<settings>", '  <phone-settings e="2">']:
        raise error('lines 2-3 are not <settings> and <phone-settings e="2">')
    if lines[-1] != "</settings>":
        raise error("does not end with </settings>")
    settings = []
    seen = set()
    number = 4
    while number <= len(lines) and lines[number - 1] != "  </phone-settings>":
        match = _SETTING_RE.match(lines[number - 1])
        if match is None:
            raise error('line %d is not a <name [idx="N"] perm="..">value</name> setting' % number)
        name, idx, perm, raw, end = match.groups()
        if end != name:
            raise error("line %d: the end tag of %s is %s" % (number, name, end))
        perm = _unescape(perm, number, "the perm of %s" % name, error, quote=True)
        if perm not in PERMS:
            raise error("line %d: the perm of %s is not one Snom documents (%s)" % (number, name, ", ".join(repr(p) for p in PERMS)))
        item = Setting(name, _unescape(raw, number, "the value of %s" % name, error), None if idx is None else int(idx), perm)
        if item.key() in seen:
            raise error("line %d: %s%s is set twice" % (number, name, "" if idx is None else "[%s]" % idx))
        seen.add(item.key())
        settings.append(item)
        number += 1
    if number > len(lines):
        raise error("has no </phone-settings>")
    keys = []
    rest = lines[number:-1]
    if rest:
        if rest[0] != '  <functionKeys e="2">' or rest[-1] != "  </functionKeys>" or len(rest) < 3:
            raise error('line %d: after </phone-settings> only a non-empty <functionKeys e="2"> block may follow' % (number + 1))
        taken = set()
        for offset, line in enumerate(rest[1:-1], start=number + 2):
            match = _FKEY_RE.match(line)
            if match is None:
                raise error('line %d is not an <fkey idx="N" context="active|N" [label=".."] perm="R">type argument</fkey>'
                            % offset)
            idx = int(match.group(1))
            if idx in taken:
                raise error("line %d: function key %d is set twice" % (offset, idx))
            taken.add(idx)
            label = match.group(3)
            if label is not None:
                label = _unescape(label, offset, "the label of function key %d" % idx, error, quote=True)
            keys.append(FunctionKeyElement(idx, _unescape(match.group(4), offset, "function key %d" % idx, error),
                                           match.group(2), label))
    return settings, keys


_FILE_RE = re.compile(r'^  <file url="([^"]*)"/>\Z')


def parse_container(data, device=None, field=None):
    """``[url]`` a ``<setting-files>`` container names, in order, as :func:`render_container` writes it."""
    def error(message):
        return ProfileFormatError(message, device=device, field=field)

    lines = _lines(data, error)
    if len(lines) < 4 or lines[1] != "<setting-files>" or lines[-1] != "</setting-files>":
        raise error("is not a <setting-files> container naming at least one file")
    urls = []
    for number, line in enumerate(lines[2:-1], start=3):
        match = _FILE_RE.match(line)
        if match is None:
            raise error('line %d is not <file url="..."/>' % number)
        urls.append(_unescape(match.group(1), number, "the url", error, quote=True))
    return urls


_FIRMWARE_RE = re.compile(r'^  <firmware perm="R">([^<]*)</firmware>\Z')


def parse_firmware(data, device=None, field=None):
    """The image URL of a ``<firmware-settings>`` file :func:`render_firmware` wrote."""
    def error(message):
        return ProfileFormatError(message, device=device, field=field)

    lines = _lines(data, error)
    match = _FIRMWARE_RE.match(lines[2]) if len(lines) == 4 else None
    if match is None or lines[1] != "<firmware-settings>" or lines[3] != "</firmware-settings>":
        raise error('is not <firmware-settings> with one <firmware perm="R">URL</firmware>')
    return _unescape(match.group(1), 3, "the firmware URL", error)
