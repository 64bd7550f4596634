# Copyright (c) sipfleet.provisioning contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Build the Grandstream P-value catalog from Grandstream's configuration templates.

Grandstream publishes, per product family and firmware, a configuration
template listing every P-value with a description, a type line (``# String``,
``# Number: 0, 1``, ``# Number: 60 - 86400`` ...) and, for some, ``# Mandatory``.
This script reads those templates and writes the compact catalog
``plugins/module_utils/_vendors/grandstream/catalog_data.py`` (P-number -> spec, the
mandatory P-numbers, the models and firmware of each family), which
``plugins/module_utils/_vendors/grandstream/catalog.py`` uses to check P-values. The
templates themselves are reference data and are not shipped.

Run it from anywhere, with the directory holding the templates::

    python3 hacking/build_grandstream_catalog.py /path/to/grandstream-templates
    python3 hacking/build_grandstream_catalog.py --check /path/to/grandstream-templates

The directory must hold exactly one template per family (see ``TEMPLATES``):
``grp261x_config_<fw>.txt``, ``gxp2130_2135_2140_2160_2170_config_<fw>.txt``
and ``gxp_config_<fw>.txt``. ``--output`` writes elsewhere; ``--check``
writes nothing and exits 1 when the committed file differs from what the
templates give. What was read approximately (typos, conflicting duplicates,
widened ranges) is reported on standard error. The output depends on nothing
but the templates' content, so the same input always gives the same bytes.

Spec grammar of the generated data (integers are decimal, may be negative):

* ``s``: a string (also every parameter without a type line);
* ``n``: an integer, no range stated;
* ``e:A,B,C``: one of the listed integers;
* ``r:LO:HI``: an integer from LO to HI inclusive;
* ``u:ITEM,ITEM``: an integer matching one ITEM, an ITEM being ``N`` or ``LO:HI``
  (for type lines such as ``-1, 0, 1, 10 -- 36``).

How the templates are read:

* a parameter is ``P<digits> = value`` (spaces around ``=`` optional, trailing
  space ignored); commented-out ones (``# P1363 = 0``, model-specific keys,
  certificates) count too, they are documented the same way; other names are
  ignored;
* its comment block is the run of lines since the previous parameter or blank
  line (a stray description line without ``#`` belongs to it); there
  ``Number``/``String``/``Strings`` (``:`` or ``.`` optional, with or without
  a space after ``#``) is the type and ``Mandatory`` (``Mandatory: -1`` too)
  the mandatory flag, in either order; a parameter without a type line is
  ``s``;
* in a ``Number`` line, the value list ends at the first ``.``, ``;``, ``:``,
  `` (`` or ``Default``; its comma-separated items are ``N``, ``(N)``, ranges
  ``A - B``, ``A -- B``, ``A-B``, ``(-1)-12``, or labelled values ``N - Label``
  (``0 - None, 1 - WEP``); anything else makes the parameter ``n`` (warned);
* a default stated on the type line (``Default is N``) outside the list or
  range is added to it (``1025 - 65535. Default is 162`` gives
  ``u:162,1025:65535``), and so are labelled values after the list (``1, 2.
  1 - Version 1, 2 - Version 2, 3 - Version 3`` gives ``e:1,2,3``);
* when the template's own value contradicts its type line (``# Number: 0, 1``
  above ``P891 = 4``), the type line is not trusted: ``n`` (``s`` if the value
  is not an integer);
* ``Number`` blocks saying string forms are also accepted (the GRP261x key
  modes) are recorded as ``s``;
* a P-number documented more than once in a template gets the union of its
  specs (``s`` if any occurrence is a string, ``n`` if any is an unbounded
  number) and is mandatory only if every typed occurrence is;
* a template without type lines (the old gxp_config_1.2.5.3) is prose: only an
  explicit integer range in the description (``Between 96 and 127``,
  ``Between 1-3600``, ``Allowed value: 90-65535``, ``(0 - 7)``, ``(1024-65535,
  default 5004)``, ``1 to 120 seconds``) is recorded, unless the text says
  other values are accepted; the rest is ``s``, and nothing is mandatory.
"""

from __future__ import annotations

import argparse
import os
import re
import sys

# family id, template file name pattern (group "fw": the firmware), models
TEMPLATES = (
    ("grp261x", r"grp261x_config_(?P<fw>[0-9]+(?:\.[0-9]+)+)\.txt",
     ("GRP2612", "GRP2613", "GRP2614", "GRP2615", "GRP2616")),
    ("gxp21xx", r"gxp2130_2135_2140_2160_2170_config_(?P<fw>[0-9]+(?:\.[0-9]+)+)\.txt",
     ("GXP2130", "GXP2135", "GXP2140", "GXP2160", "GXP2170")),
    ("gxp_legacy", r"gxp_config_(?P<fw>[0-9]+(?:\.[0-9]+)+)\.txt",
     ("GXP1200", "GXP2000", "GXP2010", "GXP2020", "GXP280", "GXP285")),
)

DEFAULT_OUTPUT = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                              "plugins", "module_utils", "_vendors", "grandstream", "catalog_data.py")

HEADER = """\
# Copyright (c) sipfleet.provisioning contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# GENERATED FILE, DO NOT EDIT BY HAND.
# Generated from Grandstream's configuration templates by hacking/build_grandstream_catalog.py:
{sources}
# To change it, change the script and rerun it on the templates.
#
# PARAMS[family][P-number] is a spec: "s" string, "n" integer without stated range,
# "e:A,B" one of the integers, "r:LO:HI" integer from LO to HI inclusive,
# "u:ITEM,ITEM" integer matching an ITEM, "N" or "LO:HI".
# MANDATORY[family] holds the P-numbers the template marks "Mandatory".

from __future__ import annotations
"""

_ASSIGNMENT = re.compile(r"^(?P<commented>#\s*)?(?P<name>P[0-9]+)\s*=(?P<value>.*)$")
_OTHER_ASSIGNMENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_.]*\s*=")
_TYPE = re.compile(r"^(?P<kind>Number|Strings?)(?:\s*$|\s*[:.]\s*(?P<rest>.*)$)")
_MANDATORY = re.compile(r"^Mandatory\b")
_FIRMWARE_LINE = re.compile(r"firmware version\s+(?P<fw>[0-9]+(?:\.[0-9]+)+)", re.IGNORECASE)
_INT = r"\(?(-?[0-9]+)\)?"
_ITEM_INT = re.compile(r"^{i}$".format(i=_INT))
# "5 - 1440o" (sic, GXP21xx P-value template) is read as 5 - 1440, with a warning
_ITEM_RANGE = re.compile(r"^{i}\s*(?:--?|to)\s*{i}(?P<junk>[A-Za-z]*)$".format(i=_INT))
_ITEM_LABEL = re.compile(r"^(-?[0-9]+)\s*-\s*[A-Za-z]")
_LABELS = re.compile(r"(?:^|,)\s*(-?[0-9]+)\s*-\s*[A-Za-z]")
_DEFAULT = re.compile(r"\bDefault\s+is\s+\(?(-?[0-9]+)\b", re.IGNORECASE)
_LIST_END = re.compile(r"\.|;|:|\s\(|<|\bDefault\b", re.IGNORECASE)
_STRING_ALSO = re.compile(r"string (?:format|forms?) is also accepted", re.IGNORECASE)
_VALUE_INT = re.compile(r"^-?[0-9]+$")

# prose ranges of templates without type lines
_PROSE_RANGES = (
    re.compile(r"\bBetween\s+(-?[0-9]+)\s*(?:and|-|to)\s*(-?[0-9]+)\b", re.IGNORECASE),
    re.compile(r"\bAllowed values?:?\s*(-?[0-9]+)\s*-\s*(-?[0-9]+)\b", re.IGNORECASE),
    re.compile(r"\((-?[0-9]+)\s*-\s*(-?[0-9]+)\s*[,)]"),
    re.compile(r"(?:^|\.\s)\s*(-?[0-9]+)\s+to\s+(-?[0-9]+)\s+(?:seconds|minutes|hours|days)\b", re.IGNORECASE),
)
_PROSE_OPEN = re.compile(r"greater values|other values|will default to", re.IGNORECASE)


class Warnings:
    """Collects what was read approximately, for standard error."""

    def __init__(self):
        self.lines = []

    def add(self, where, message):
        self.lines.append("{0}: {1}".format(where, message))


class NumberSet:
    """Integers allowed by a Number type: single values and inclusive ranges; bounded False for ``n``."""

    def __init__(self, values=(), ranges=(), bounded=True):
        self.values = set(values)
        self.ranges = set(ranges)
        self.bounded = bounded

    def contains(self, number):
        if not self.bounded:
            return True
        return number in self.values or any(low <= number <= high for low, high in self.ranges)

    def union(self, other):
        if not (self.bounded and other.bounded):
            return NumberSet(bounded=False)
        return NumberSet(self.values | other.values, self.ranges | other.ranges)

    def spec(self):
        if not self.bounded or not (self.values or self.ranges):
            return "n"
        if not self.ranges:
            return "e:" + ",".join(str(v) for v in sorted(self.values))
        items = []
        for low, high in sorted(self.ranges | {(v, v) for v in self.values}):
            if items and low <= items[-1][1] + 1:
                items[-1] = (items[-1][0], max(high, items[-1][1]))
            else:
                items.append((low, high))
        if len(items) == 1:
            return "r:{0}:{1}".format(*items[0])
        return "u:" + ",".join(str(low) if low == high else "{0}:{1}".format(low, high) for low, high in items)


def parse_number(rest, where, warnings):
    """Return the NumberSet of the text after ``Number`` in a type line."""
    rest = (rest or "").strip()
    default = _DEFAULT.search(rest)
    main = _LIST_END.split(rest, maxsplit=1)
    listed, after = main[0], (main[1] if len(main) > 1 else "")
    result = NumberSet()
    for item in listed.split(","):
        item = item.strip()
        if not item:
            continue
        match = _ITEM_INT.match(item)
        if match:
            result.values.add(int(match.group(1)))
            continue
        match = _ITEM_RANGE.match(item)
        if match:
            low, high = int(match.group(1)), int(match.group(2))
            if match.group("junk"):
                warnings.add(where, "read range {0!r} as {1} - {2}".format(item, low, high))
            if low > high:
                warnings.add(where, "reversed range {0!r}".format(item))
                low, high = high, low
            result.ranges.add((low, high))
            continue
        match = _ITEM_LABEL.match(item)
        if match:
            result.values.add(int(match.group(1)))
            continue
        warnings.add(where, "cannot read Number item {0!r} in {1!r}: recorded as an unbounded number".format(item, rest))
        return NumberSet(bounded=False)
    if not (result.values or result.ranges):
        return NumberSet(bounded=False)
    if not result.ranges:
        for label in _LABELS.findall(after):
            if int(label) not in result.values:
                warnings.add(where, "labelled value {0} missing from {1!r}: added".format(label, rest))
                result.values.add(int(label))
    if default and not result.contains(int(default.group(1))):
        warnings.add(where, "default {0} outside {1!r}: added".format(default.group(1), rest))
        result.values.add(int(default.group(1)))
    return result


class Occurrence:
    """One documented assignment of a P-value: kind ("s", "number" or None when untyped)."""

    def __init__(self, kind, numbers=None, mandatory=False):
        self.kind = kind
        self.numbers = numbers
        self.mandatory = mandatory


def read_typed_block(block, value, where, warnings):
    kind = None
    numbers = None
    mandatory = False
    for line in block:
        if _MANDATORY.match(line):
            mandatory = True
            continue
        match = _TYPE.match(line)
        if not match:
            continue
        if match.group("kind").startswith("String"):
            if kind == "number":
                warnings.add(where, "both String and Number type lines: recorded as a string")
            kind = "s"
        elif kind == "s":
            warnings.add(where, "both String and Number type lines: recorded as a string")
        else:
            parsed = parse_number(match.group("rest"), where, warnings)
            numbers = parsed if numbers is None else numbers.union(parsed)
            kind = "number"
    if kind == "number" and any(_STRING_ALSO.search(line) for line in block):
        kind, numbers = "s", None
    if kind == "number" and value:
        if not _VALUE_INT.match(value):
            warnings.add(where, "template value {0!r} is not an integer: recorded as a string".format(value))
            kind, numbers = "s", None
        elif not numbers.contains(int(value)):
            warnings.add(where, "template value {0} outside {1}: recorded as an unbounded number".format(value, numbers.spec()))
            numbers = NumberSet(bounded=False)
    return Occurrence(kind, numbers, mandatory)


def read_prose_block(block, value, where, warnings):
    text = " ".join(block)
    found = set()
    for pattern in _PROSE_RANGES:
        for low, high in pattern.findall(text):
            found.add((int(low), int(high)))
    if not found:
        return Occurrence(None)
    if len(found) > 1 or _PROSE_OPEN.search(text):
        warnings.add(where, "ambiguous prose range(s) {0}: recorded as a string".format(sorted(found)))
        return Occurrence(None)
    low, high = found.pop()
    if low > high:
        return Occurrence(None)
    numbers = NumberSet(ranges=[(low, high)])
    if value:
        if not _VALUE_INT.match(value):
            warnings.add(where, "template value {0!r} is not an integer: recorded as a string".format(value))
            return Occurrence(None)
        if not numbers.contains(int(value)):
            warnings.add(where, "template value {0} outside {1}: recorded as a string".format(value, numbers.spec()))
            return Occurrence(None)
    return Occurrence("number", numbers)


def parse_template(path, warnings):
    """Return ({P-number: [Occurrence, ...]}, typed, header firmware or None) for one template."""
    with open(path, "rb") as handle:
        lines = handle.read().decode("utf-8", "replace").splitlines()
    typed = any(_TYPE.match(line.lstrip("#").strip()) for line in lines if line.startswith("#"))
    reader = read_typed_block if typed else read_prose_block
    firmware = None
    occurrences = {}
    block = []
    name = os.path.basename(path)
    for number, raw in enumerate(lines, 1):
        line = raw.strip()
        if firmware is None and line.startswith("#"):
            match = _FIRMWARE_LINE.search(line)
            if match:
                firmware = match.group("fw")
        if not line:
            block = []
            continue
        match = _ASSIGNMENT.match(line)
        if match:
            where = "{0}:{1}: {2}".format(name, number, match.group("name"))
            value = "" if match.group("commented") else match.group("value").strip()
            occurrence = reader(block, value, where, warnings)
            occurrences.setdefault(int(match.group("name")[1:]), []).append(occurrence)
            block = []
        elif line.startswith("#"):
            block.append(line.lstrip("#").strip())
        elif _OTHER_ASSIGNMENT.match(line):
            warnings.add("{0}:{1}".format(name, number), "not a P-value, ignored: {0!r}".format(line))
            block = []
        else:
            # stray description without "#" ("Screensaver XML Download Interval")
            block.append(line)
    return occurrences, typed, firmware


def merge(number, occurrences, family, warnings):
    """Return (spec, mandatory) of a P-number documented by one or more occurrences."""
    typed = [o for o in occurrences if o.kind is not None]
    mandatory = bool(typed) and all(o.mandatory for o in typed)
    if not typed:
        return "s", any(o.mandatory for o in occurrences)
    if any(o.kind == "s" for o in typed):
        spec = "s"
    else:
        numbers = typed[0].numbers
        for occurrence in typed[1:]:
            numbers = numbers.union(occurrence.numbers)
        spec = numbers.spec()
    distinct = sorted({"s" if o.kind == "s" else o.numbers.spec() for o in typed})
    if len(distinct) > 1:
        warnings.add("{0}: P{1}".format(family, number), "documented as {0}: recorded as {1}".format(" and ".join(distinct), spec))
    return spec, mandatory


def find_templates(directory):
    names = sorted(os.listdir(directory))
    found = []
    for family, pattern, models in TEMPLATES:
        matches = [(name, re.fullmatch(pattern, name)) for name in names]
        matches = [(name, match) for name, match in matches if match]
        if len(matches) != 1:
            raise SystemExit("{0}: expected exactly one template for {1} ({2}), found {3}".format(
                directory, family, pattern, [name for name, dummy in matches] or "none"))
        name, match = matches[0]
        found.append((family, os.path.join(directory, name), match.group("fw"), models))
    return found


def _wrap(numbers, indent, width=100):
    lines = []
    current = indent
    for text in ("{0},".format(n) for n in numbers):
        if len(current) + len(text) + 1 > width and current.strip():
            lines.append(current.rstrip())
            current = indent
        current += text + " "
    if current.strip():
        lines.append(current.rstrip())
    return lines


def render(families):
    """Return the data module's text; families: [(family, file name, firmware, models, {number: spec}, mandatory)]."""
    out = [HEADER.format(sources="\n".join("#   {0} ({1})".format(f[1], f[0]) for f in families))]
    out.append("FAMILIES = {")
    for family, dummy, firmware, models, dummy_specs, dummy_mandatory in families:
        names = ['"{0}"'.format(m) for m in sorted(models)]
        out.append('    "{0}": {{"firmware": "{1}", "models": ({2}{3})}},'.format(
            family, firmware, ", ".join(names), "," if len(names) == 1 else ""))
    out.append("}")
    out.append("")
    out.append("PARAMS = {")
    for family, dummy, dummy_fw, dummy_models, specs, dummy_mandatory in families:
        out.append('    "{0}": {{'.format(family))
        for number in sorted(specs):
            out.append('        {0}: "{1}",'.format(number, specs[number]))
        out.append("    },")
    out.append("}")
    out.append("")
    out.append("MANDATORY = {")
    for family, dummy, dummy_fw, dummy_models, dummy_specs, mandatory in families:
        if mandatory:
            out.append('    "{0}": frozenset(('.format(family))
            out.extend(_wrap(sorted(mandatory), " " * 8))
            out.append("    )),")
        else:
            out.append('    "{0}": frozenset(),'.format(family))
    out.append("}")
    return "\n".join(out) + "\n"


def build(directory, warnings):
    families = []
    for family, path, firmware, models in find_templates(directory):
        occurrences, dummy_typed, header_firmware = parse_template(path, warnings)
        if header_firmware and header_firmware != firmware:
            raise SystemExit("{0}: file name says firmware {1}, header says {2}".format(path, firmware, header_firmware))
        specs = {}
        mandatory = set()
        for number in sorted(occurrences):
            specs[number], is_mandatory = merge(number, occurrences[number], family, warnings)
            if is_mandatory:
                mandatory.add(number)
        families.append((family, os.path.basename(path), firmware, models, specs, mandatory))
    return render(families), families


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("templates", help="directory holding Grandstream's configuration templates")
    parser.add_argument("--output", default=DEFAULT_OUTPUT, help="file to write (default: %(default)s)")
    parser.add_argument("--check", action="store_true", help="write nothing; exit 1 if --output is not up to date")
    parser.add_argument("--quiet", action="store_true", help="do not list approximate readings on standard error")
    args = parser.parse_args(argv)

    warnings = Warnings()
    text, families = build(args.templates, warnings)
    if not args.quiet:
        for line in warnings.lines:
            sys.stderr.write("warning: {0}\n".format(line))
    for family, name, firmware, dummy_models, specs, mandatory in families:
        sys.stderr.write("{0}: {1} (firmware {2}): {3} P-values, {4} mandatory\n".format(family, name, firmware, len(specs), len(mandatory)))

    data = text.encode("utf-8")
    if args.check:
        try:
            with open(args.output, "rb") as handle:
                current = handle.read()
        except OSError:
            current = None
        if current != data:
            sys.stderr.write("{0} is not up to date; rerun without --check\n".format(args.output))
            return 1
        return 0
    with open(args.output, "wb") as handle:
        handle.write(data)
    return 0


if __name__ == "__main__":
    sys.exit(main())
