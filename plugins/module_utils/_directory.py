# Copyright (c) sipfleet.provisioning contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The fleet's phone directory (``sipfleet_directory``): its entries, its files, and where each phone finds it.

The inventory variable::

    sipfleet_directory:
      fleet: true        # every line of every device: its display_name and extension
      per_site: false    # true: each site its own directory (its devices' lines and the contacts)
      contacts:
        - name: Front desk
          numbers: ["+49 30 1234"]
          group: Suppliers

An undefined (or null) ``sipfleet_directory`` means no directory at all: no
file is rendered and no profile changes. ``{}`` is a directory with the
defaults (the fleet's lines, one directory for everyone).

The directory is built once per run, per site with ``per_site``, as a
sorted tuple of :class:`Entry` (one per name and number, sorted by name,
number and group, exact duplicates dropped), so a rerun renders the same
bytes. Each vendor family renders its own format of it
(:meth:`~._vendors.base.VendorRenderer.render_directory`) at the path it
chooses (:meth:`~._vendors.base.VendorRenderer.directory_path`), as a
shared file, and points each device's profile at
``<provisioning_url>/<path>``
(:meth:`~._vendors.base.VendorRenderer.directory_settings`). A family with
no documented format gets no file: the run warns, one warning per family.

No secret is ever part of an entry: names and numbers only.
"""

from __future__ import annotations

import re
import unicodedata
from collections import namedtuple
from urllib.parse import urlsplit, urlunsplit

from ansible_collections.sipfleet.provisioning.plugins.module_utils._errors import (
    ErrorCollector,
    ProvisioningError,
    quote_value,
    userinfo_span,
)

#: The inventory variable.
VARIABLE = "sipfleet_directory"
#: Its fields, and those of one of its contacts.
DIRECTORY_FIELDS = ("fleet", "per_site", "contacts")
CONTACT_FIELDS = ("name", "numbers", "group")

#: What a contact's number may hold: digits, ``+ * #``, spaces, ``- . ( )``; at least one digit, ``*`` or ``#``.
NUMBER_RE = re.compile(r"^[0-9+*#() .\-]+\Z")
_DIALABLE_RE = re.compile(r"[0-9*#]")

#: Unicode categories no name or number may contain: control characters,
#: surrogates, line and paragraph separators, unassigned code points (XML
#: 1.0 cannot carry most of them, and no phone format documents them).
FORBIDDEN_CATEGORIES = ("Cc", "Cs", "Zl", "Zp", "Cn")

#: A site name that can be part of a served path (``phonebook/<family>/site/<site>/...``).
SITE_PATH_RE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.+-]{0,63}\Z")

#: How many devices a warning names before it only counts them.
WARNED_DEVICES = 5

#: One name and one number of the directory. ``colleague`` marks a line of
#: the fleet (Snom's ``type="colleagues"``), as opposed to a contact.
Entry = namedtuple("Entry", ("name", "number", "group", "colleague"))


#: The key of a shard's bundle or inventory file (never a field of
#: ``sipfleet_directory``) that holds the lines of the fleet's devices outside
#: the shard, ``[[device label, line index, display name, extension, site],
#: ...]``: the phone_profiles action adds them on a shard host
#: (``sipfleet_shard``) so the fleet-wide directory lists every phone of the
#: fleet, not only the shard's.
OTHER_LINES = "other_lines"


class Directory:
    """The validated ``sipfleet_directory``: ``fleet``, ``per_site`` and the contacts' entries."""

    def __init__(self, fleet=True, per_site=False, contacts=(), others=()):
        self.fleet = fleet
        self.per_site = per_site
        self.contacts = tuple(contacts)
        #: ``(Entry, site)`` of the lines of other shards' devices.
        self.others = tuple(others)

    def __repr__(self):
        return "Directory(fleet=%s, per_site=%s, %d contact entries)" % (self.fleet, self.per_site, len(self.contacts))


def text_problem(text):
    """Why ``text`` cannot be a name or number in a phone directory, or ``None``."""
    for char in text:
        if unicodedata.category(char) in FORBIDDEN_CATEGORIES:
            return "contains the control or line-break character U+%04X, which no phone directory format carries" % ord(char)
    if text != text.strip():
        return "starts or ends with white space, which an XML reader may strip"
    return None


def _string(value, field, what):
    """``value`` if it is a non-empty string a directory can carry, else an error naming ``field``."""
    # Imported here: the data model imports the vendor registry lazily, and
    # this module must stay importable on its own.
    from ansible_collections.sipfleet.provisioning.plugins.module_utils._device_model import check_text
    if value is None or value == "":
        raise ProvisioningError("is required (the %s)" % what, field=field)
    text = check_text(value, None, field, what=what)
    problem = text_problem(text)
    if problem is not None:
        raise ProvisioningError(problem, field=field)
    return text


def _number(value, field):
    text = _string(value, field, "phone number")
    if not NUMBER_RE.match(text) or not _DIALABLE_RE.search(text):
        raise ProvisioningError("%s is not a phone number: digits, +, *, #, spaces, -, ., ( and ) only, with at least one "
                                "digit, * or #" % quote_value(text), field=field)
    return text


def _flag(raw, name, default, errors):
    value = raw.get(name)
    if value is None:
        return default
    if not isinstance(value, bool):
        errors.add(ProvisioningError("must be true or false, got %s" % quote_value(value), field="%s.%s" % (VARIABLE, name)))
        return default
    return value


def check_directory(raw, errors=None, other_lines=None):
    """The :class:`Directory` of ``sipfleet_directory``, or ``None`` when it is undefined.

    Every error names the field (``sipfleet_directory.contacts[2].numbers[0]``);
    with an :class:`~._errors.ErrorCollector` they are recorded there (and
    ``None`` is returned), else raised together.

    ``other_lines`` (:data:`OTHER_LINES`) are the lines of devices outside
    a shard: each is checked as a device's own line is, an error naming
    that device and line.
    """
    collector = ErrorCollector() if errors is None else errors
    before = len(collector)
    directory = _check_directory(raw, collector, other_lines)
    if errors is None:
        collector.raise_if_any()
    return directory if len(collector) == before else None


def _check_directory(raw, errors, other_lines=None):
    if raw is None:
        return None
    if not isinstance(raw, dict):
        errors.add(ProvisioningError("must be a mapping with fleet, per_site and contacts, got %s" % type(raw).__name__,
                                     field=VARIABLE))
        return None
    for key in sorted(str(key) for key in raw if key not in DIRECTORY_FIELDS):
        errors.add(ProvisioningError("unknown field %s; the directory has %s" % (quote_value(key), ", ".join(DIRECTORY_FIELDS)),
                                     field="%s.%s" % (VARIABLE, key)))
    fleet = _flag(raw, "fleet", True, errors)
    per_site = _flag(raw, "per_site", False, errors)
    contacts = raw.get("contacts")
    entries = []
    if contacts is None:
        contacts = []
    if not isinstance(contacts, list):
        errors.add(ProvisioningError("must be a list of contacts, got %s" % type(contacts).__name__,
                                     field="%s.contacts" % VARIABLE))
        contacts = []
    for index, contact in enumerate(contacts):
        entries.extend(_contact_entries(contact, "%s.contacts[%d]" % (VARIABLE, index), errors))
    return Directory(fleet, per_site, entries, _other_lines(other_lines, errors))


def _other_lines(lines, errors):
    """``(Entry, site)`` of :data:`OTHER_LINES`, each checked as a line of this host's fleet is (:func:`line_entries`)."""
    if lines is None:
        return []
    if not isinstance(lines, list):
        errors.add(ProvisioningError("must be a list of lines, got %s" % type(lines).__name__, field=OTHER_LINES))
        return []
    others = []
    for index, line in enumerate(lines):
        if not (isinstance(line, list) and len(line) == 5 and isinstance(line[0], str)
                and isinstance(line[1], int) and not isinstance(line[1], bool)
                and all(isinstance(text, str) for text in line[2:4]) and (line[4] is None or isinstance(line[4], str))):
            errors.add(ProvisioningError("must be [device, line index, display name, extension, site]",
                                         field="%s[%d]" % (OTHER_LINES, index)))
            continue
        label, line_index, name, number, site = line
        problem = None
        for field, value in (("display_name", name), ("extension", number)):
            problem = text_problem(value)
            if problem is not None:
                errors.add(ProvisioningError("%s (it is an entry of %s)" % (problem, VARIABLE), device=label,
                                             field="lines[%d].%s" % (line_index, field)))
                break
        if problem is None:
            others.append((Entry(name, number, None, True), site))
    return others


def _contact_entries(contact, field, errors):
    if not isinstance(contact, dict):
        errors.add(ProvisioningError("must be a mapping with name, numbers and an optional group, got %s"
                                     % type(contact).__name__, field=field))
        return []
    before = len(errors)
    for key in sorted(str(key) for key in contact if key not in CONTACT_FIELDS):
        errors.add(ProvisioningError("unknown field %s; a contact has %s" % (quote_value(key), ", ".join(CONTACT_FIELDS)),
                                     field="%s.%s" % (field, key)))
    name = group = None
    numbers = []
    with errors.check():
        name = _string(contact.get("name"), field + ".name", "contact's name")
    with errors.check():
        if contact.get("group") is not None:
            group = _string(contact.get("group"), field + ".group", "contact's group")
    raw_numbers = contact.get("numbers")
    if not isinstance(raw_numbers, list) or not raw_numbers:
        errors.add(ProvisioningError("must be a non-empty list of phone numbers (quoted strings), got %s"
                                     % (quote_value(raw_numbers) if not isinstance(raw_numbers, list) else "[]"),
                                     field=field + ".numbers"))
    else:
        for index, number in enumerate(raw_numbers):
            with errors.check():
                numbers.append(_number(number, "%s.numbers[%d]" % (field, index)))
    if len(errors) != before:
        return []
    return [Entry(name, number, group, False) for number in numbers]


# --- building the directories from the fleet --------------------------------------


def line_entries(device):
    """The fleet entries of ``device``: each line's display name and extension; an error names a line that cannot be one."""
    entries = []
    for index, line in enumerate(device.lines):
        for name, value in (("display_name", line.display_name), ("extension", line.extension)):
            problem = text_problem(value)
            if problem is not None:
                raise device.error("%s (it is an entry of sipfleet_directory)" % problem,
                                   field="lines[%d].%s" % (index, name))
        entries.append(Entry(line.display_name, line.extension, None, True))
    return entries


def sorted_entries(entries):
    """``entries`` without exact duplicates, sorted by name, number, group: the same bytes at every run."""
    return tuple(sorted(set(entries), key=lambda entry: (entry.name, entry.number, entry.group or "", entry.colleague)))


def check_sites(directory, fleet):
    """With ``per_site``, every site of a device must be able to name a path; an error names the first that cannot."""
    if directory is None or not directory.per_site:
        return
    for device in fleet:
        if device.site is not None and not SITE_PATH_RE.match(device.site):
            raise ProvisioningError(
                "is true, but the site %s of device %s cannot be part of a file name: per-site directories need site "
                "names of letters, digits, _, ., + and - (at most 64, not starting with . or -)"
                % (quote_value(device.site), device.label), field="%s.per_site" % VARIABLE)


def directory_scope(renderer, device, directory):
    """The site whose directory ``device`` reads, or ``None`` for the fleet-wide one."""
    if directory.per_site and device.site is not None and renderer.directory_per_site:
        return device.site
    return None


def build_entries(directory, fleet, site=None):
    """The sorted entries of the directory of ``site`` (``None``: the fleet-wide one)."""
    entries = list(directory.contacts)
    if directory.fleet:
        for device in fleet:
            if site is None or device.site == site:
                entries.extend(line_entries(device))
        entries.extend(entry for entry, entry_site in directory.others if site is None or entry_site == site)
    return sorted_entries(entries)


def standard_path(family, site, file_name):
    """``phonebook/<family>/all/<file>``, or ``phonebook/<family>/site/<site>/<file>``: no two families or sites meet."""
    where = "all" if site is None else "site/%s" % site
    return "phonebook/%s/%s/%s" % (family, where, file_name)


def _why_not(renderer, device, directory):
    """Why ``device`` gets no directory, as a warning's key, or ``None`` when it gets one."""
    scope = directory_scope(renderer, device, directory)
    if renderer.directory_path(scope) is None:
        return "format"
    url = device.settings.get("provisioning_url")
    if not isinstance(url, str) or "://" not in url:
        return "url"
    schemes = renderer.directory_schemes(device)
    if schemes is not None and renderer.transport(device) not in schemes:
        return "scheme"
    return None


def directory_url(renderer, device, inventory):
    """The URL ``device`` fetches its directory from, or ``None`` (no directory, no format, no URL to build it on).

    ``<provisioning_url>/<path>``, without the URL's ``user:password@``: the
    directory holds no secret and is served to anyone, as every shared file is.
    The path is joined to the URL's path; its ``?query`` and ``#fragment``
    are dropped (they belong to the profiles' URL, not the directory's).
    """
    directory = getattr(inventory, "directory", None)
    if directory is None or _why_not(renderer, device, directory) is not None:
        return None
    base = device.settings["provisioning_url"]
    # The user information goes first, by the same span the error messages
    # mask: a password may hold "/", "?" or "#", which urlsplit would take
    # for the end of the host.
    span = userinfo_span(base)
    if span is not None:
        base = base[:span[0]] + base[span[1] + 1:]
    parts = urlsplit(base)
    path = "%s/%s" % (parts.path.rstrip("/"), renderer.directory_path(directory_scope(renderer, device, directory)))
    return urlunsplit((parts.scheme, parts.netloc, path, "", ""))


def _listed(devices):
    labels = [device.label for device in devices[:WARNED_DEVICES]]
    more = len(devices) - len(labels)
    return ", ".join(labels) + (" and %d more" % more if more else "")


def render_directories(inventory, fleet, renderer_for):
    """``(files, warnings)`` of the run's directory: each family's files, and one warning per family and reason.

    ``renderer_for(device)`` is the registry's. A family's file of a scope
    is rendered once, and only when a device of the fleet reads it.
    """
    directory = getattr(inventory, "directory", None)
    if directory is None:
        return [], []
    check_sites(directory, fleet)
    wanted = {}
    missing = {}
    renderers = {}
    for device in fleet:
        renderer = renderer_for(device)
        renderers[renderer.name] = renderer
        reason = _why_not(renderer, device, directory)
        if reason is not None:
            missing.setdefault((renderer.name, reason), []).append(device)
            continue
        if directory.per_site and device.site is not None and not renderer.directory_per_site:
            missing.setdefault((renderer.name, "per_site"), []).append(device)
        wanted.setdefault(renderer.name, set()).add(directory_scope(renderer, device, directory))
    files = []
    entries_of = {}
    changes = []
    for name in sorted(wanted):
        renderer = renderers[name]
        for site in sorted(wanted[name], key=lambda site: (site is not None, site or "")):
            if site not in entries_of:
                entries_of[site] = build_entries(directory, fleet, site)
            entries, notes = renderer.directory_entries(entries_of[site])
            changes.extend(notes)
            item = renderer.render_directory_file(site, entries)
            item.vendor = renderer.name
            files.append(item)
    warnings = []
    groups = sorted(set(entry.group for entry in directory.contacts if entry.group is not None))
    dropping = sorted(renderers[name].title for name in wanted if not renderers[name].directory_groups)
    if groups and dropping:
        # Kept in the model (a format may carry them one day), but no phonebook written here shows them.
        warnings.append("%s: the contacts' groups (%s) are not in the phonebooks of %s: no group element is documented "
                        "for their formats" % (VARIABLE, ", ".join(groups), ", ".join(dropping)))
    for (name, reason), devices in sorted(missing.items()):
        renderer = renderers[name]
        if reason == "format":
            why = "no documented %s phonebook format the collection can render%s" % (renderer.title, renderer.directory_hint)
        elif reason == "url":
            why = "no provisioning_url to build the directory's URL on"
        elif reason == "scheme":
            why = ("their provisioning_url's scheme is not one the %s phonebook is fetched over (%s)"
                   % (renderer.title, ", ".join(renderer.directory_schemes(devices[0]))))
        else:
            why = "%s phones read one directory for the whole fleet%s" % (renderer.title, renderer.directory_hint)
        what = "the fleet-wide directory, not their site's," if reason == "per_site" else "no directory"
        warnings.append("%s: %s for %d %s device(s) (%s): %s" % (VARIABLE, what, len(devices), renderer.title,
                                                                 _listed(devices), why))
    return files, warnings + changes


# --- the families' line formats ------------------------------------------------------

_ESCAPES = (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"))
#: Escaped element text: no markup character but the three escapes the encoder writes.
_TEXT_PATTERN = r"((?:[^<>&\n]|&(?:amp|lt|gt);)*)"


def xml_text(text):
    """``text`` as XML element content: ``&``, ``<`` and ``>`` escaped (names such as ``Smith & Sons``)."""
    for raw, escaped in _ESCAPES:
        text = text.replace(raw, escaped)
    return text


def _unescape(text):
    for raw, escaped in reversed(_ESCAPES):
        text = text.replace(escaped, raw)
    return text


class LineFormat:
    """A phonebook written one element a line: fixed ``header`` lines, ``entry`` lines per entry, fixed ``footer`` lines.

    An entry's lines are templates with ``{name}``, ``{number}`` (escaped
    element text) and any field ``fields(index, entry)`` gives (fixed
    attribute words such as Snom's ``type``). :meth:`encode` writes UTF-8
    with LF line ends; :meth:`decode` reads back exactly what
    :meth:`encode` writes, and refuses anything else with a
    :class:`~._errors.ProfileFormatError` (it re-encodes what it read and
    compares the bytes).
    """

    def __init__(self, header, entry, footer, fields=None):
        self.header = tuple(header)
        self.entry = tuple(entry)
        self.footer = tuple(footer)
        self.fields = fields or (lambda index, entry: {})
        self._patterns = [re.compile("^%s\\Z" % self._pattern(line)) for line in self.entry]

    @staticmethod
    def _pattern(template):
        parts = re.split(r"(\{[a-z_]+\})", template)
        out = []
        for part in parts:
            if part.startswith("{") and part.endswith("}"):
                name = part[1:-1]
                out.append("(?P<%s>%s)" % (name, _TEXT_PATTERN[1:-1]) if name in ("name", "number")
                           else "(?P<%s>[A-Za-z0-9_]*)" % name)
            else:
                out.append(re.escape(part))
        return "".join(out)

    def encode(self, entries):
        lines = list(self.header)
        for index, entry in enumerate(entries):
            values = dict(self.fields(index, entry), name=xml_text(entry.name), number=xml_text(entry.number))
            lines.extend(line.format(**values) for line in self.entry)
        lines.extend(self.footer)
        return ("\n".join(lines) + "\n").encode("utf-8")

    def decode(self, data):
        """``[{"name", "number", and the other fields}]`` of a phonebook this format wrote."""
        from ansible_collections.sipfleet.provisioning.plugins.module_utils._errors import ProfileFormatError
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            raise ProfileFormatError("the phonebook is not UTF-8")
        if not text.endswith("\n"):
            raise ProfileFormatError("the phonebook does not end with a line break")
        lines = text[:-1].split("\n")
        head, tail = len(self.header), len(self.footer)
        body = lines[head:len(lines) - tail]
        if (tuple(lines[:head]) != self.header or tuple(lines[len(lines) - tail:]) != self.footer
                or len(lines) < head + tail or len(body) % len(self.entry)):
            raise ProfileFormatError("the phonebook's header, footer or entry lines are not the ones this format writes")
        records = []
        for start in range(0, len(body), len(self.entry)):
            record = {}
            for offset, pattern in enumerate(self._patterns):
                match = pattern.match(body[start + offset])
                if match is None:
                    raise ProfileFormatError("line %d of the phonebook is not the entry line this format writes"
                                             % (head + start + offset + 1))
                for key, value in match.groupdict().items():
                    if record.setdefault(key, value) != value:
                        raise ProfileFormatError("line %d of the phonebook contradicts its entry" % (head + start + offset + 1))
            record["name"] = _unescape(record["name"])
            record["number"] = _unescape(record["number"])
            for key in ("name", "number"):
                # What the model refuses, the encoder never wrote.
                if not record[key] or text_problem(record[key]) is not None:
                    raise ProfileFormatError("entry %d of the phonebook has a %s the collection would not write"
                                             % (start // len(self.entry) + 1, key))
            records.append(record)
        return records

    def pairs(self, data):
        """``[(name, number)]`` of a phonebook of ``name`` and ``number`` entries that :meth:`encode` wrote.

        The entries are written again and compared with ``data``: anything
        the encoder would not write (escaping, spacing) is a
        :class:`~._errors.ProfileFormatError`.
        """
        from ansible_collections.sipfleet.provisioning.plugins.module_utils._errors import ProfileFormatError
        pairs = [(record["name"], record["number"]) for record in self.decode(data)]
        if self.encode([Entry(name, number, None, False) for name, number in pairs]) != data:
            raise ProfileFormatError("the phonebook is not in the form the collection writes")
        return pairs
