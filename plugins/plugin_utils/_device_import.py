# Copyright (c) sipfleet.provisioning contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Read ``sipfleet_devices`` entries from device files and bar-code scan CSVs.

Two formats feed the fleet without making phones inventory hosts:

* YAML or JSON files, each holding one device mapping or a list of them,
  usually one file per device in a directory tree;
* CSV files with a header row, one device a row, as preprovisioning desks
  record them with a bar-code scanner.

The result is a plain list of device mappings in the shape of
``sipfleet_devices``. Only what can be checked without the rest of the
inventory is checked here (MACs, field and column names, duplicates across
files); the device model checks everything else when the fleet is rendered.
Every error names the file, the line (CSV) or entry (YAML list) and the field.
"""

from __future__ import annotations

import csv
import glob
import io
import json
import os
import re

import yaml

from ansible.errors import AnsibleError

from ansible_collections.sipfleet.provisioning.plugins.module_utils._device_model import (
    DEVICE_FIELDS,
    LINE_FIELDS,
    check_text,
    label_text,
)
from ansible_collections.sipfleet.provisioning.plugins.module_utils._errors import ErrorCollector, ProvisioningError, quote_value
from ansible_collections.sipfleet.provisioning.plugins.module_utils._mac import normalize_mac

try:
    # libyaml's loader parses device files about ten times faster.
    from yaml import CSafeLoader as _YamlLoader
except ImportError:  # pragma: no cover - PyYAML built without libyaml
    from yaml import SafeLoader as _YamlLoader

#: File name suffixes read as device files (lower case).
YAML_SUFFIXES = (".yml", ".yaml", ".json")
CSV_SUFFIXES = (".csv",)

#: CSV columns of the device itself.
DEVICE_COLUMNS = ("mac", "model", "name", "vendor", "site")

#: CSV columns of a line; without a prefix they describe line 1, with a
#: ``lineN_`` prefix line N (``line2_extension``).
LINE_COLUMNS = LINE_FIELDS

_REQUIRED_COLUMNS = ("mac", "model")
_LINE_COLUMN_RE = re.compile(r"^line_?([1-9][0-9]?)_(.+)$")
_GLOB_CHARS = re.compile(r"[*?[]")
_DELIMITERS = (",", ";", "\t")
_VAULT_HEADER = b"$ANSIBLE_VAULT"
_MAX_MAC_CHARS = 64


class DeviceImportError(ProvisioningError):
    """A device file or row that cannot be imported, with the file and line it came from."""

    def __init__(self, message, source, device=None, field=None):
        self.source = source
        super().__init__(message, device=device, field=field)

    def __str__(self):
        return "%s: %s" % (self.source, ProvisioningError.__str__(self))


class _Origin:
    """Where a device came from: its file and its line (CSV) or entry (YAML list)."""

    __slots__ = ("path", "where")

    def __init__(self, path, where=None):
        self.path = path
        self.where = where

    def __str__(self):
        return self.path if self.where is None else "%s %s" % (self.path, self.where)

    def error(self, message, device=None, field=None):
        return DeviceImportError(message, str(self), device=device, field=field)


def import_devices(terms, basedir, passwords=None, decrypt=None):
    """Return the devices of every file ``terms`` name, in order.

    ``terms`` are files, directories (read recursively for ``.yml``,
    ``.yaml``, ``.json`` and ``.csv`` files; names starting with a dot are
    skipped) or glob patterns; relative ones are resolved against
    ``basedir``. A term that finds no file is an error, so a typo never
    empties the fleet.

    ``passwords`` maps an extension to its SIP password; it fills the
    password of every line that has none.

    ``decrypt(path)`` returns the text of an Ansible Vault encrypted file; an
    encrypted file is an error without it.

    Every file is read and every device checked before an error is raised:
    all the problems of every file (the first of each device or row, and
    each file that cannot be read) are raised together as one
    :class:`~._errors.ProvisioningErrors`.
    """
    if isinstance(terms, str):
        terms = [terms]
    passwords = _check_passwords(passwords)
    importer = _Importer(basedir, passwords, decrypt)
    for path in _files(terms, basedir):
        with importer.errors.check():
            importer.read(path)
    importer.errors.raise_if_any()
    return importer.devices


def _check_passwords(passwords):
    if passwords is None:
        return {}
    if not isinstance(passwords, dict):
        raise ProvisioningError("must be a mapping of extension to password, got %s" % type(passwords).__name__,
                                field="passwords")
    checked = {}
    for extension, password in passwords.items():
        if not isinstance(password, str):
            # The value is never shown: it may be a password of another type.
            # A number is what YAML made of an unquoted one (0777 is 511).
            raise ProvisioningError(
                "the password of extension %s must be a string, got %s%s" % (
                    label_text(extension), type(password).__name__,
                    ": quote it exactly as written (YAML reads unquoted 0777 as 511)"
                    if isinstance(password, (int, float)) else ""),
                field="passwords")
        checked[str(extension)] = password
    return checked


def _files(terms, basedir):
    """Every file the terms name, in order, each once."""
    seen = set()
    for term in terms:
        if not isinstance(term, str) or not term.strip():
            raise ProvisioningError("each term must be a file, directory or glob pattern, got %s" % quote_value(term))
        path = os.path.normpath(os.path.join(basedir, os.path.expanduser(term.strip())))
        if _GLOB_CHARS.search(term):
            matches = sorted(glob.glob(path, recursive=True))
            if not matches:
                raise ProvisioningError("%s matches no file" % _display(path, basedir))
        elif not os.path.exists(path):
            raise ProvisioningError("%s does not exist" % _display(path, basedir))
        else:
            matches = [path]
        for match in matches:
            if os.path.isdir(match):
                found = _directory_files(match)
                if not found:
                    raise ProvisioningError("directory %s holds no %s file"
                                            % (_display(match, basedir), ", ".join(YAML_SUFFIXES + CSV_SUFFIXES)))
            else:
                found = [(match, os.path.realpath(match))]
            for file_path, key in found:
                if key not in seen:
                    seen.add(key)
                    yield file_path


def _directory_files(directory):
    """The device files under ``directory`` as ``(path, real path)``, sorted by their path in it."""
    found = []
    for root, dirs, files in os.walk(directory):
        dirs[:] = [name for name in dirs if not name.startswith(".")]
        # One realpath a directory rather than one a file (each is an lstat
        # of every component: a third of the time at 100,000 device files);
        # a file that is itself a symbolic link is resolved on its own.
        real_root = os.path.realpath(root)
        inner = root[len(directory):].strip(os.sep)
        parts = inner.split(os.sep) if inner else []
        for name in files:
            if not name.startswith(".") and name.lower().endswith(YAML_SUFFIXES + CSV_SUFFIXES):
                path = os.path.join(root, name)
                real = os.path.realpath(path) if os.path.islink(path) else os.path.join(real_root, name)
                found.append((parts + [name], path, real))
    found.sort(key=lambda item: item[0])
    return [(path, real) for dummy, path, real in found]


def _display(path, basedir):
    """A path for messages: relative to ``basedir`` when inside it, else absolute."""
    # The paths come from os.path.join(basedir, ...) normalised: most are
    # inside it, and cutting the prefix costs nothing next to relpath.
    prefix = os.path.join(os.path.normpath(basedir), "")
    if path.startswith(prefix) and os.pardir not in path[len(prefix):].split(os.sep):
        return path[len(prefix):]
    relative = os.path.relpath(path, basedir)
    return path if relative.startswith(os.pardir) else relative


class _Importer:
    def __init__(self, basedir, passwords, decrypt):
        self.basedir = basedir
        self.passwords = passwords
        self.decrypt = decrypt
        self.devices = []
        self.errors = ErrorCollector()
        self._by_mac = {}
        self._by_name = {}

    def read(self, path):
        shown = _display(path, self.basedir)
        suffix = os.path.splitext(path)[1].lower()
        if suffix not in YAML_SUFFIXES + CSV_SUFFIXES:
            raise DeviceImportError("unknown kind of file: device files end in %s"
                                    % ", ".join(YAML_SUFFIXES + CSV_SUFFIXES), shown)
        try:
            with open(path, "rb") as handle:
                data = handle.read()
        except OSError as exc:
            raise DeviceImportError("cannot read: %s" % (exc.strerror or exc), shown)
        if data.lstrip().startswith(_VAULT_HEADER):
            if self.decrypt is None:
                raise DeviceImportError("is encrypted with Ansible Vault, which only the lookup can decrypt", shown)
            try:
                text = self.decrypt(path)
            except AnsibleError as exc:
                # No vault secret given, or not the one it was encrypted with.
                raise DeviceImportError("cannot decrypt (Ansible Vault): %s" % getattr(exc, "message", exc), shown)
        else:
            try:
                text = data.decode("utf-8-sig")
            except UnicodeDecodeError as exc:
                raise DeviceImportError("is not UTF-8 text (byte %d)" % exc.start, shown)
        if suffix in CSV_SUFFIXES:
            self._read_csv(text, shown)
        else:
            self._read_document(text, shown, json_only=suffix == ".json")

    # YAML and JSON

    def _read_document(self, text, shown, json_only):
        try:
            if json_only:
                document = json.loads(text)
            else:
                document = yaml.load(text, Loader=_YamlLoader)  # noqa: S506 - a safe loader
        except (ValueError, yaml.YAMLError) as exc:
            raise DeviceImportError("cannot parse: %s" % _parse_error(exc), shown)
        if document is None:
            raise DeviceImportError("holds no device", shown)
        if isinstance(document, dict):
            self._add_mapping(document, _Origin(shown))
        elif isinstance(document, list):
            for index, raw in enumerate(document, start=1):
                with self.errors.check():
                    self._add_mapping(raw, _Origin(shown, "entry %d" % index))
        else:
            raise DeviceImportError("must hold a device mapping or a list of them, got %s" % type(document).__name__,
                                    shown)

    def _add_mapping(self, raw, origin):
        if not isinstance(raw, dict):
            raise origin.error("a device must be a mapping, got %s" % type(raw).__name__)
        label = _label(raw.get("name"), raw.get("mac"))
        unknown = sorted(label_text(key) for key in raw if key not in DEVICE_FIELDS)
        if unknown:
            raise origin.error("unknown field(s) %s; a device has %s (put settings under 'settings')"
                               % (", ".join(unknown), ", ".join(DEVICE_FIELDS)), device=label, field=unknown[0])
        device = dict(raw)
        device["mac"] = self._mac(raw.get("mac"), origin, label)
        lines = raw.get("lines")
        if lines is not None:
            if not isinstance(lines, list):
                raise origin.error("must be a list of lines, got %s" % type(lines).__name__, device=label, field="lines")
            device["lines"] = [self._line(line, index, origin, label) for index, line in enumerate(lines)]
        self._add(device, origin, label)

    def _line(self, raw, index, origin, label):
        field = "lines[%d]" % index
        if not isinstance(raw, dict):
            raise origin.error("must be a mapping, got %s" % type(raw).__name__, device=label, field=field)
        unknown = sorted(label_text(key) for key in raw if key not in LINE_FIELDS)
        if unknown:
            raise origin.error("unknown field(s) %s; a line has %s" % (", ".join(unknown), ", ".join(LINE_FIELDS)),
                               device=label, field="%s.%s" % (field, unknown[0]))
        line = dict(raw)
        self._fill_password(line)
        return line

    # CSV

    def _read_csv(self, text, shown):
        if text.startswith("\ufeff"):
            text = text[1:]
        rows = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text), skipinitialspace=True, strict=True)
        columns = None
        try:
            for row in rows:
                cells = [cell.strip() for cell in row]
                if not any(cells):
                    continue
                if columns is None:
                    columns = _columns(cells, _Origin(shown, "line %d" % rows.line_num))
                    continue
                with self.errors.check():
                    self._add_row(columns, cells, _Origin(shown, "line %d" % rows.line_num))
        except csv.Error as exc:
            raise DeviceImportError("cannot parse: %s" % exc, "%s line %d" % (shown, rows.line_num))
        if columns is None:
            raise DeviceImportError("holds no header row", shown)

    def _add_row(self, columns, cells, origin):
        # Empty trailing cells are what spreadsheets write; values there
        # belong to no column.
        if len(cells) < len(columns) or any(cells[len(columns):]):
            raise origin.error("the row has %d cells, the header has %d columns (%s)"
                               % (len(cells), len(columns), ", ".join(column for column, target in columns)))
        device = {}
        lines = {}
        for (column, target), value in zip(columns, cells):
            if not value:
                continue
            line_number, field = target
            if line_number is None:
                device[field] = value
            else:
                lines.setdefault(line_number, {})[field] = value
        label = _label(device.get("name"), device.get("mac"))
        device["mac"] = self._mac(device.get("mac"), origin, label)
        if not device.get("model"):
            raise origin.error("is required", device=label, field="model")
        if lines:
            for number in range(1, max(lines) + 1):
                if number not in lines:
                    raise origin.error("line %d is empty but line %d is set: a device's lines follow its line keys"
                                       % (number, max(lines)), device=label, field="lines[%d]" % (number - 1))
            device["lines"] = []
            for number in sorted(lines):
                line = lines[number]
                if "extension" not in line:
                    raise origin.error("is required when other columns of line %d are set" % number,
                                       device=label, field="lines[%d].extension" % (number - 1))
                self._fill_password(line)
                device["lines"].append(line)
        self._add(device, origin, label)

    # Shared

    def _mac(self, value, origin, label):
        if value is None or value == "":
            raise origin.error("is required", device=label, field="mac")
        try:
            # YAML reads 112233445566 and 11:22:33:44:55:66 as integers:
            # the hint says to quote the MAC address as written.
            value = check_text(value, label, "mac", what="MAC address")
            if len(value) > _MAX_MAC_CHARS:
                raise ProvisioningError("%s is not a MAC address" % quote_value(value), device=label, field="mac")
            return normalize_mac(value, device=label)
        except ProvisioningError as exc:
            raise origin.error(exc.message, device=label, field="mac")

    def _fill_password(self, line):
        if line.get("password") in (None, "") and "extension" in line:
            password = self.passwords.get(str(line["extension"]))
            if password is not None:
                line["password"] = password

    def _add(self, device, origin, label):
        mac = device["mac"]
        other = self._by_mac.get(mac)
        if other is not None:
            raise origin.error("duplicate MAC %s: also in %s" % (mac, other), device=label, field="mac")
        name = device.get("name")
        if isinstance(name, str):
            other = self._by_name.get(name)
            if other is not None:
                raise origin.error("duplicate name: also in %s" % other, device=label, field="name")
            self._by_name[name] = origin
        self._by_mac[mac] = origin
        self.devices.append(device)


def _label(name, mac):
    """How errors name a device: its name, else its MAC as written."""
    for value in (name, mac):
        if isinstance(value, (str, int)) and not isinstance(value, bool) and str(value).strip():
            return label_text(value)
    return None


def _delimiter(text):
    """``,``, ``;`` or tab: whichever the header row has most of (``,`` when it has none)."""
    for line in text.splitlines():
        if line.strip():
            # On a tie the earlier delimiter of _DELIMITERS wins.
            delimiter = max(_DELIMITERS, key=lambda candidate: (line.count(candidate), -_DELIMITERS.index(candidate)))
            return delimiter if line.count(delimiter) else ","
    return ","


def _columns(header, origin):
    """``[(column, (line number or None, field))]`` for a header row."""
    columns = []
    seen = {}
    while not header[-1]:
        # Spreadsheets end the header with the delimiters of empty columns.
        header = header[:-1]
    for position, cell in enumerate(header, start=1):
        if not cell:
            raise origin.error("column %d has no name" % position)
        column = re.sub(r"[\s-]+", "_", cell.lower())
        target = _column_target(column)
        if target is None:
            raise origin.error("unknown column %s (column %d); known columns: %s, line columns %s and lineN_<line column> "
                               "for line N" % (quote_value(cell), position, ", ".join(DEVICE_COLUMNS), ", ".join(LINE_COLUMNS)),
                               field=label_text(column))
        if target in seen:
            raise origin.error("column %s (column %d) sets what column %d sets" % (quote_value(cell), position, seen[target]),
                               field=label_text(column))
        seen[target] = position
        columns.append((column, target))
    missing = [column for column in _REQUIRED_COLUMNS if (None, column) not in seen]
    if missing:
        raise origin.error("the header has no %s column" % " or ".join(missing), field=missing[0])
    return columns


def _column_target(column):
    if column in DEVICE_COLUMNS:
        return (None, column)
    if column in LINE_COLUMNS:
        return (1, column)
    match = _LINE_COLUMN_RE.match(column)
    if match and match.group(2) in LINE_COLUMNS:
        return (int(match.group(1)), match.group(2))
    return None


def _parse_error(exc):
    """A parser's message on one line, with its line number when it has one."""
    mark = getattr(exc, "problem_mark", None)
    if mark is not None:
        return "%s (line %d, column %d)" % (getattr(exc, "problem", None) or exc, mark.line + 1, mark.column + 1)
    return " ".join(str(exc).split())
