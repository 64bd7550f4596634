# Copyright (c) sipfleet.provisioning contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The two Fanvil XML forms: encoders, strict decoders and what a value may hold.

Both are UTF-8 XML documents that start with ``<?xml version="1.0"
encoding="UTF-8"?>`` (vendor-facts-more.md 4.2, **code**):

``voip_config_file`` (form A, wazo-provd-plugins ``base.tpl``, FusionPBX)
    ``<VOIP_CONFIG_FILE>``, then ``<version>2.0002</version>`` and one
    element per module (``SIP_CONFIG_MODULE``, ``AUTOUPDATE_CONFIG_MODULE``...).
    The entries of a list carry their name in an ``<ID>`` child, written
    first: ``<SIP_Line_List_Entry><ID>SIP1</ID>...``. The collection writes
    one element a line, unindented, as wazo-provd-plugins does.
``sysconf`` (form B, wazo-provd-plugins ``base-new.tpl``)
    ``<sysConf>``, then ``<Version>`` and nested groups; a list entry is an
    element with an ``index`` attribute: ``<line index="1">``. The
    collection indents it by two spaces a level.

A parameter is named by its path from the root element, dot-separated,
an entry's segment with its ``<ID>`` (form A) or ``index`` (form B) in
brackets: ``SIP_CONFIG_MODULE.SIP_Line_List.SIP_Line_List_Entry[SIP1].Register_Pswd``,
``sip.line[1].RegisterPswd``. :func:`build` turns ``[(path, value)]`` into
the tree, :func:`render` writes it, :func:`parse` reads a file back to the
tree (refusing, with a :class:`~._errors.ProfileFormatError`, any byte the
encoder would not have written) and :func:`flatten` gives ``[(path, value)]``
again. A value is text: ``&``, ``<`` and ``>`` are escaped; a control or
line-break character and a leading or trailing space cannot be carried (an
XML reader may fold or strip them), so the renderer refuses them. No
message shows a value: any value may be a password.
"""

from __future__ import annotations

import re
import unicodedata
from xml.etree import ElementTree

from ansible_collections.sipfleet.provisioning.plugins.module_utils._errors import ProfileFormatError

DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>'

VOIP_CONFIG_FILE = "voip_config_file"
SYSCONF = "sysconf"

#: form -> (root element, version element, indentation of a level).
FORMS = {
    VOIP_CONFIG_FILE: ("VOIP_CONFIG_FILE", "version", ""),
    SYSCONF: ("sysConf", "Version", "  "),
}

#: The child that names a form-A list entry.
ENTRY_ID = "ID"

_NAME = r"[A-Za-z_][A-Za-z0-9_]*"
_NAME_RE = re.compile(r"^%s\Z" % _NAME)
_SEGMENT_RE = re.compile(r"^(%s)(?:\[([A-Za-z0-9_]+)\])?\Z" % _NAME)
#: A parameter path: names joined by dots, an entry's with its key in brackets.
PATH_RE = re.compile(r"^(?:%s(?:\[[A-Za-z0-9_]+\])?\.)*%s\Z" % (_NAME, _NAME))

#: A number written with a leading zero (01, SIP01): another spelling of the entry 1 or SIP1.
_LEADING_ZERO_RE = re.compile(r"(?<![0-9])0+(?=[0-9])")

#: Unicode categories no value may contain: control characters, surrogates,
#: the line and paragraph separators, and unassigned code points.
FORBIDDEN_CATEGORIES = ("Cc", "Cs", "Zl", "Zp", "Cn")


def value_problem(value):
    """Why ``value`` cannot be an element's text, or ``None``. Never quotes the value."""
    for char in value:
        if unicodedata.category(char) in FORBIDDEN_CATEGORIES:
            return "contains the control or line-break character U+%04X, which the Fanvil XML files cannot carry" % ord(char)
    if value != value.strip():
        return "starts or ends with white space, which an XML reader may strip"
    return None


def path_problem(path, form):
    """Why ``path`` cannot name a parameter of a file of ``form``, or ``None``."""
    if not isinstance(path, str) or not PATH_RE.match(path):
        return "is not a path of element names joined by dots (an entry's with its key in brackets)"
    for segment in path.split(".")[:-1]:
        name, key = _SEGMENT_RE.match(segment).groups()
        if key is not None and form == SYSCONF and not key.isdigit():
            return "names an entry of a <sysConf> file by %s; its entries have a number (index attribute)" % segment
        if key is not None and _LEADING_ZERO_RE.search(key):
            # The phone would read a second entry beside the one the collection writes as <line index="1"> or SIP1.
            return "names the entry %s with a leading zero" % segment
    if "[" in path.split(".")[-1]:
        return "ends with an entry; it must end with an element that holds a value"
    return None


class Node:
    """One element: ``name``, ``key`` (form B's ``index`` attribute, or ``None``), and ``value`` (text) or ``children``."""

    __slots__ = ("name", "key", "value", "children")

    def __init__(self, name, key=None, value=None, children=None):
        self.name = name
        self.key = key
        self.value = value
        self.children = children

    def __eq__(self, other):
        return (isinstance(other, Node) and (self.name, self.key, self.value, self.children)
                == (other.name, other.key, other.value, other.children))

    def __repr__(self):
        return "Node(%r, %r, %s)" % (self.name, self.key, "<value>" if self.children is None else self.children)


def _entry_key(node, form):
    if form == SYSCONF:
        return node.key
    first = node.children[0] if node.children else None
    return first.value if first is not None and first.name == ENTRY_ID and first.children is None else None


def unpadded_path(path):
    """``path`` with no entry key's number written with a leading zero (``sip.line[01].X`` -> ``sip.line[1].X``)."""
    return re.sub(r"\[([A-Za-z0-9_]+)\]", lambda match: "[%s]" % _LEADING_ZERO_RE.sub("", match.group(1)), path)


def canonical_key(key):
    """What two spellings of one entry's key have in common: ``sip1``, ``SIP1`` and ``SIP01`` are one entry to a reader."""
    return None if key is None else _LEADING_ZERO_RE.sub("", key).lower()


def _child(parent, name, key, form):
    """The container child ``name`` (``key``) of ``parent``, created at the end if missing."""
    for node in parent.children:
        if node.name == name and node.children is not None and _entry_key(node, form) == key:
            return node
        if (node.name == name and node.children is not None and key is not None
                and canonical_key(_entry_key(node, form)) == canonical_key(key)):
            # Two entries whose IDs differ in case only: the collection's checks would not see one as the other.
            raise ValueError("names the entry %s[%s], which this file writes %s[%s]: spell it so"
                             % (name, key, name, _entry_key(node, form)))
        if node.name == name and node.children is None and key is None:
            raise ValueError("holds a value where other parameters need an element %s" % name)
    if form == SYSCONF or key is None:
        node = Node(name, key=key, children=[])
    else:
        node = Node(name, children=[Node(ENTRY_ID, value=key)])
    parent.children.append(node)
    return node


def build(params, form, version):
    """``[(path, value)]`` -> the root :class:`Node` of a file of ``form`` whose version element holds ``version``.

    Elements appear in the order their first parameter does. Raises
    ``ValueError((message, index))``, ``index`` the position of the
    parameter that cannot be placed (a path set twice, a value where an
    element is needed or the reverse).
    """
    root_name, version_name, dummy = FORMS[form]
    root = Node(root_name, children=[Node(version_name, value=version)])
    seen = set()
    for index, (path, value) in enumerate(params):
        segments = path.split(".")
        if path in seen or path == version_name:
            raise ValueError(("%s is set twice" % path, index))
        seen.add(path)
        parent = root
        try:
            for segment in segments[:-1]:
                name, key = _SEGMENT_RE.match(segment).groups()
                parent = _child(parent, name, key, form)
            leaf = segments[-1]
            if any(node.name == leaf and node.children is not None for node in parent.children):
                raise ValueError("sets a value where other parameters need an element %s" % leaf)
            if form == VOIP_CONFIG_FILE and leaf == ENTRY_ID and parent.children and parent.children[0].name == ENTRY_ID:
                raise ValueError("sets the ID that names its entry")
        except ValueError as exc:
            raise ValueError(("%s %s" % (path, exc.args[0]), index)) from None
        parent.children.append(Node(leaf, value=str(value)))
    return root


def _escape(text):
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def render(root, form):
    """The bytes of the file whose tree is ``root`` (from :func:`build` or :func:`parse`)."""
    indent = FORMS[form][2]
    lines = [DECLARATION]

    def write(node, depth):
        pad = indent * depth
        start = "%s index=\"%s\"" % (node.name, node.key) if node.key is not None else node.name
        if node.children is None:
            lines.append("%s<%s>%s</%s>" % (pad, start, _escape(node.value), node.name))
            return
        lines.append("%s<%s>" % (pad, start))
        for child in node.children:
            write(child, depth + 1)
        lines.append("%s</%s>" % (pad, node.name))

    write(root, 0)
    # write refers to itself through its closure: emptying that cell frees
    # it and the lines now, not at the cyclic collector's next pass.
    del write
    return ("\n".join(lines) + "\n").encode("utf-8")


def parse(data, form, device=None, field=None):
    """The root :class:`Node` of a file of ``form`` exactly as :func:`render` writes it.

    Refuses anything else: another declaration or root element, a DOCTYPE,
    comment or processing instruction, CR line ends, an attribute other
    than a number ``index`` (form B only), mixed content, a value
    :func:`value_problem` refuses, other indentation or layout. Raises
    :class:`~._errors.ProfileFormatError` naming ``device`` and ``field``.
    """
    def error(message):
        return ProfileFormatError(message, device=device, field=field)

    root_name, version_name, dummy = FORMS[form]
    if not isinstance(data, bytes):
        raise error("must be bytes, got %s" % type(data).__name__)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise error("line %d is not UTF-8" % (data.count(b"\n", 0, exc.start) + 1)) from None
    if not text.startswith(DECLARATION + "\n"):
        raise error("does not start with the line %s" % DECLARATION)
    if "<!" in text or "<?" in text[len(DECLARATION):]:
        # No DTD (no entity can expand), no comment, CDATA or processing instruction.
        raise error("holds a DOCTYPE, comment, CDATA section or processing instruction, which the collection never writes")
    if "\r" in text:
        raise error("holds a CR; every line ends in LF")
    try:
        element = ElementTree.fromstring(data)
    except ElementTree.ParseError as exc:
        raise error("is not well-formed XML (line %d)" % exc.position[0]) from None
    if element.tag != root_name:
        raise error("has the root element %s, not the %s of this form" % (element.tag, root_name))

    def node_of(item, depth):
        if not _NAME_RE.match(item.tag):
            raise error("has an element name the collection never writes at depth %d" % depth)
        key = None
        if item.attrib:
            if form != SYSCONF or list(item.attrib) != ["index"] or not item.attrib["index"].isdigit():
                raise error("element %s has an attribute other than a numeric index" % item.tag)
            if _LEADING_ZERO_RE.search(item.attrib["index"]):
                raise error("element %s has an index with a leading zero, which the collection never writes" % item.tag)
            key = item.attrib["index"]
        children = list(item)
        if not children:
            value = item.text or ""
            problem = value_problem(value)
            if problem:
                raise error("the value of %s %s" % (item.tag, problem))
            if key is not None:
                raise error("element %s has an index but no child" % item.tag)
            return Node(item.tag, value=value)
        if (item.text or "").strip() or any((child.tail or "").strip() for child in children):
            raise error("element %s mixes text and elements" % item.tag)
        return Node(item.tag, key=key, children=[node_of(child, depth + 1) for child in children])

    root = node_of(element, 0)
    if not root.children or root.children[0].name != version_name or root.children[0].children is not None:
        raise error("does not hold <%s> first" % version_name)
    rendered = render(root, form)
    if rendered != data:
        wanted = rendered.split(b"\n")
        for number, line in enumerate(data.split(b"\n"), start=1):
            if number > len(wanted) or line != wanted[number - 1]:
                raise error("line %d is not in the layout the collection writes (one element a line%s)"
                            % (number, ", two spaces a level" if form == SYSCONF else ", unindented"))
        raise error("ends early: it is not in the layout the collection writes")
    return root


def flatten(root, form):
    """``[(path, value)]`` of the tree ``root``, in file order, the version element first (:func:`build`'s input back)."""
    params = []

    def walk(node, prefix):
        for child in node.children:
            if child.children is None:
                if not (form == VOIP_CONFIG_FILE and child.name == ENTRY_ID and child is node.children[0] and prefix
                        and prefix[-1].endswith("]")):
                    params.append((".".join(prefix + [child.name]), child.value))
                continue
            key = _entry_key(child, form)
            walk(child, prefix + ["%s[%s]" % (child.name, key) if key is not None else child.name])

    walk(root, [])
    return params
