# Copyright (c) sipfleet.provisioning contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The Poly UC Software configuration format: XML whose parameters are attributes of one element.

A file is the XML declaration, one comment line, then one element (the
master's ``APPLICATION``, a configuration file's ``polycomConfig``) with
one ``name="value"`` attribute per line and ``/>`` on the last line; lines
end in LF and the text is UTF-8. Element names only group parameters (the
phones read the attributes), so one element carries them all. A value is
XML-escaped: ``&`` ``<`` ``>`` ``"`` are written ``&amp;`` ``&lt;`` ``&gt;``
``&quot;`` (wazo-provd-plugins escapes the same way); a control character
cannot be carried (an XML parser turns tab and line breaks in an attribute
into spaces, and the others are not XML at all), so the renderer refuses it.

:func:`render_xml` writes ``[(name, value)]``; :func:`parse_xml` reads a
file back to ``{name: value}`` in file order and refuses, with a
:class:`~._errors.ProfileFormatError`, anything the encoder cannot have
written. Its messages never show a value: it may be a password.
"""

from __future__ import annotations

import re
import unicodedata

from ansible_collections.sipfleet.provisioning.plugins.module_utils._errors import ProfileFormatError

#: The first line of every file (wazo-provd-plugins, FusionPBX and the Ansible role agree).
DECLARATION = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
COMMENT = "<!-- written by sipfleet.provisioning: changes here are overwritten -->"
#: The element of the master file and of every configuration file.
MASTER_ELEMENT = "APPLICATION"
CONFIG_ELEMENT = "polycomConfig"

#: Parameter names: dot-separated words (reg.1.auth.password, APP_FILE_PATH).
PARAM_NAME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_]*(?:\.[A-Za-z0-9_]+)*\Z")

#: Unicode categories no value may contain: control characters, surrogates,
#: the line and paragraph separators, and unassigned code points.
FORBIDDEN_CATEGORIES = ("Cc", "Cs", "Zl", "Zp", "Cn")

_ESCAPES = (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"), ('"', "&quot;"))
_ENTITY_RE = re.compile(r"&(amp|lt|gt|quot);")
_UNESCAPES = {"amp": "&", "lt": "<", "gt": ">", "quot": '"'}
_ATTRIBUTE_RE = re.compile(r'^  ([^=\s]+)="([^"]*)"\Z')


def escape(value):
    """``value`` as it stands between the double quotes of an attribute."""
    for char, entity in _ESCAPES:
        value = value.replace(char, entity)
    return value


def value_problem(value):
    """Why ``value`` cannot be an attribute value, or ``None``."""
    for char in value:
        if unicodedata.category(char) in FORBIDDEN_CATEGORIES:
            return "contains the control or line-break character U+%04X, which an XML attribute cannot carry" % ord(char)
    return None


def render_xml(element, params):
    """``[(name, value)]`` -> the bytes of a file with one ``element`` holding every parameter.

    Names and values must have passed the renderer's checks
    (:data:`PARAM_NAME_RE`, :func:`value_problem`).
    """
    lines = [DECLARATION, COMMENT, "<%s" % element]
    lines.extend('  %s="%s"' % (name, escape(value)) for name, value in params)
    lines.append("/>")
    return ("\n".join(lines) + "\n").encode("utf-8")


def parse_xml(data, element, device=None, field=None):
    """``{name: value}`` of a file :func:`render_xml` wrote with ``element``, in file order.

    ``device`` and ``field`` (the file) go into the errors. Raises
    :class:`~._errors.ProfileFormatError`.
    """
    def error(message):
        return ProfileFormatError(message, device=device, field=field)

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
    if len(lines) < 4 or lines[0] != DECLARATION:
        raise error("does not start with the declaration %s" % DECLARATION)
    if lines[1] != COMMENT:
        raise error("line 2 is not the collection's comment")
    if lines[2] != "<%s" % element:
        raise error("line 3 does not open the %s element" % element)
    if lines[-1] != "/>":
        raise error("does not end with /> on a line of its own")
    params = {}
    for number, line in enumerate(lines[3:-1], start=4):
        match = _ATTRIBUTE_RE.match(line)
        if match is None:
            raise error("line %d is not an indented name=\"value\" attribute" % number)
        name, raw = match.groups()
        if not PARAM_NAME_RE.match(name):
            raise error("line %d does not start with a parameter name (words of letters, digits and _ joined by dots)" % number)
        if "<" in raw or ">" in raw:
            raise error("line %d: the value of %s holds an unescaped < or >" % (number, name))
        if "&" in _ENTITY_RE.sub("", raw):
            raise error("line %d: the value of %s holds an & that is not &amp; &lt; &gt; or &quot;" % (number, name))
        value = _ENTITY_RE.sub(lambda found: _UNESCAPES[found.group(1)], raw)
        problem = value_problem(value)
        if problem:
            raise error("line %d: the value of %s %s" % (number, name, problem))
        if name in params:
            raise error("line %d: %s is set twice" % (number, name))
        params[name] = value
    return params
