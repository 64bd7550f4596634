# Copyright (c) sipfleet.provisioning contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The fleet bundle: the fleet and its keys, resolved once per play, in one file on the controller.

``key_store`` runs once per play on the controller and already resolves the
whole inventory; after the store is updated it writes what
``phone_profiles`` reads from its inventory file (devices, defaults, sites,
models, directory, keys, next_keys) as one compact JSON file and returns
``{path, sha256, devices}``. Each ``phone_profiles`` action then transfers
those bytes as they are instead of resolving the inventory, templating the
keys into its arguments and dumping both again for every host.

The file holds passwords and keys: it is written mode 0600 into a private
directory (mode 0700) inside Ansible's local temporary directory of the
run (``DEFAULT_LOCAL_TMP``: made by the ``ansible-playbook`` process itself
and removed by it when it exits; forked workers only write into it), so
nothing stays behind on the controller.

A shard (``sipfleet_shard``) is a selection of the bundle's devices, and of
their keys only, written next to it once per distinct shard.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections import namedtuple

from ansible import constants as C
from ansible.errors import AnsibleActionFail
from ansible.module_utils.common.json import get_encoder

from ansible_collections.sipfleet.provisioning.plugins.module_utils._device_model import build_model
from ansible_collections.sipfleet.provisioning.plugins.module_utils._directory import OTHER_LINES, line_entries
from ansible_collections.sipfleet.provisioning.plugins.module_utils._errors import ProvisioningError, quote_value
from ansible_collections.sipfleet.provisioning.plugins.module_utils._fleet import (
    BUNDLE_FORMAT,
    BUNDLE_VERSION,
    SETTINGS,
    vendor_for_model,
)
from ansible_collections.sipfleet.provisioning.plugins.module_utils._mac import normalize_mac
from ansible_collections.sipfleet.provisioning.plugins.module_utils._profile_diff import (
    MASK,
    is_secret_param,
    raw_secrets,
)

#: What a bundle holds besides its format marker: the options of phone_profiles' inventory file.
BUNDLE_OPTIONS = ("devices", "defaults", "sites", "models", "directory", "keys", "next_keys")

#: The fields of the ``fleet_bundle`` value key_store returns and phone_profiles takes.
BUNDLE_FIELDS = ("path", "sha256", "devices")

_BUNDLE_PREFIX = "sipfleet-fleet-"


def encode(content):
    """The bundle's bytes: compact JSON, Ansible's lazy containers and tagged strings made plain."""
    document = {"format": BUNDLE_FORMAT, "version": BUNDLE_VERSION}
    document.update((name, content[name]) for name in BUNDLE_OPTIONS)
    if content.get(OTHER_LINES) is not None:
        # A shard's: the lines of the fleet's other devices (select_shard).
        document[OTHER_LINES] = content[OTHER_LINES]
    return json.dumps(document, cls=get_encoder("tagless"), separators=(",", ":")).encode("utf-8")


def private_dir(base=None):
    """A new directory, mode 0700, inside ``base`` (default: the run's local temporary directory)."""
    return tempfile.mkdtemp(prefix=_BUNDLE_PREFIX, dir=base or C.DEFAULT_LOCAL_TMP)


def _write_new(path, data):
    # O_EXCL: never through a file or link someone else put there first.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)


def _lines_path(path):
    return path[:-len(".json")] + ".lines.json"


def write_bundle(content, directory=None, lines=None):
    """Write ``content`` (the :data:`BUNDLE_OPTIONS`) as a new bundle; returns ``{path, sha256, devices}``.

    ``directory`` defaults to a new private directory in the run's local
    temporary directory. ``lines`` (:func:`fleet_lines`) go beside it, for
    shards: they are not part of what every host receives.
    """
    data = encode(content)
    directory = directory or private_dir()
    path = os.path.join(directory, "fleet.json")
    _write_new(path, data)
    if lines is not None:
        _write_new(_lines_path(path), json.dumps(lines, cls=get_encoder("tagless"), separators=(",", ":")).encode())
    return {"path": path, "sha256": hashlib.sha256(data).hexdigest(), "devices": len(content["devices"] or [])}


def check_bundle_value(bundle):
    """``bundle`` (the option ``fleet_bundle``) as ``{path, sha256, devices}``, or an error naming the option."""
    if not isinstance(bundle, dict) or not isinstance(bundle.get("path"), str) \
            or not isinstance(bundle.get("sha256"), str):
        raise AnsibleActionFail("fleet_bundle must be the fleet_bundle key_store returns ({path, sha256, devices}), "
                                "got %s" % quote_value(bundle))
    return dict((name, bundle.get(name)) for name in BUNDLE_FIELDS)


def _unreadable(path, exc):
    return AnsibleActionFail("cannot read the fleet bundle %s: %s (it lives as long as the ansible-playbook run "
                             "that made it)" % (path, exc.strerror or exc))


def check_bundle_readable(bundle):
    """An error naming the file, as :func:`read_bundle` gives it, when ``bundle``'s file cannot be read."""
    try:
        with open(bundle["path"], "rb"):
            pass
    except OSError as exc:
        raise _unreadable(bundle["path"], exc) from None


def read_bundle(bundle):
    """The content of ``bundle`` on the controller, its sha256 checked; an error names the file."""
    path = bundle["path"]
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except OSError as exc:
        raise _unreadable(path, exc) from None
    if hashlib.sha256(data).hexdigest() != bundle["sha256"]:
        raise AnsibleActionFail("the fleet bundle %s does not match its sha256 %s" % (path, bundle["sha256"]))
    return json.loads(data.decode("utf-8"))


#: A checked ``sipfleet_shard``: ``kind`` is ``sites`` (``selector`` the sorted site names) or ``query``
#: (``selector`` the compiled expression); ``allow_empty`` lets it select no device.
Shard = namedtuple("Shard", ("kind", "selector", "allow_empty"))


def check_shard(shard, host):
    """``shard`` (``sipfleet_shard``) as a :class:`Shard`; an error names the host."""
    where = "sipfleet_shard of host %s" % host
    if not isinstance(shard, dict) or len(set(shard) & {"sites", "query"}) != 1 \
            or not set(shard) <= {"sites", "query", "allow_empty"}:
        raise AnsibleActionFail("%s must be {sites: [site, ...]} or {query: <JMESPath expression>}, with an optional "
                                "allow_empty: true, got %s" % (where, quote_value(shard)))
    allow_empty = shard.get("allow_empty", False)
    if not isinstance(allow_empty, bool):
        raise AnsibleActionFail("%s: allow_empty must be true or false, got %s" % (where, quote_value(allow_empty)))
    if "sites" in shard:
        sites = shard["sites"]
        if not isinstance(sites, list) or not sites or not all(isinstance(site, str) for site in sites):
            raise AnsibleActionFail("%s: sites must be a non-empty list of site names, got %s"
                                    % (where, quote_value(sites)))
        return Shard("sites", sorted(set(sites)), allow_empty)
    expression = shard["query"]
    if not isinstance(expression, str) or not expression.strip():
        raise AnsibleActionFail("%s: query must be a JMESPath expression, got %s" % (where, quote_value(expression)))
    try:
        import jmespath
    except ImportError:
        raise AnsibleActionFail("%s: a query needs the Python package jmespath on the controller "
                                "(pip install jmespath)" % where) from None
    try:
        return Shard("query", jmespath.compile(expression), allow_empty)
    except jmespath.exceptions.JMESPathError as exc:
        raise AnsibleActionFail("%s: cannot parse the JMESPath expression %s: %s"
                                % (where, quote_value(expression), exc)) from None


def describe_shard(shard):
    """``shard`` as the inventory writes it, for messages."""
    if shard.kind == "sites":
        return "{sites: [%s]}" % ", ".join(shard.selector)
    return "{query: %s}" % quote_value(shard.selector.expression)


def _without_secrets(device):
    """A copy of ``device`` for a shard's query: no password, key or secret setting, parameter or URL credential.

    The secrets are those the module's error redaction knows
    (:func:`~._profile_diff.raw_secrets`): a query never selects by them, and
    nothing it does can quote them. The fields that are secrets as a whole
    are left out; what :func:`~._profile_diff.raw_secrets` still finds in
    what is left (a password in a URL's user information) is masked there.
    """
    def masked(value):
        if isinstance(value, str):
            for secret in secrets:
                if secret in value:
                    value = value.replace(secret, MASK)
            return value
        if isinstance(value, dict):
            return dict((key, masked(item)) for key, item in value.items())
        if isinstance(value, list):
            return [masked(item) for item in value]
        return value

    copy = dict((key, value) for key, value in device.items() if key != "keys")
    if isinstance(copy.get("lines"), list):
        copy["lines"] = [dict((key, value) for key, value in line.items() if key != "password")
                         if isinstance(line, dict) else line for line in copy["lines"]]
    if isinstance(copy.get("settings"), dict):
        copy["settings"] = dict((key, value) for key, value in copy["settings"].items()
                                if not (key in SETTINGS and SETTINGS[key].secret))
    if isinstance(copy.get("params"), dict):
        copy["params"] = dict((key, value) for key, value in copy["params"].items()
                              if not is_secret_param(str(key)))
    secrets = sorted(raw_secrets([copy]), key=len, reverse=True)
    return masked(copy) if secrets else copy


def _device_name(device, index):
    if isinstance(device, dict) and (device.get("name") or device.get("mac")):
        return device.get("name") or device.get("mac")
    return "#%d" % index


def shard_indices(devices, shard, host, sites=None):
    """The positions of the devices of ``shard`` (a :class:`Shard`); errors name host and expression.

    ``sites`` is the fleet's ``sipfleet_sites``: a shard's site that is not
    one of them is an error. A shard that selects no device is an error
    unless it says ``allow_empty: true``.

    A query runs on each device without its secrets and must give a boolean:
    a value that is merely truthy (a string, a list) is an error, not a
    selection. An error never quotes what the query failed on: JMESPath's
    own messages quote the value (a line's password), so they name the
    exception's class only.
    """
    kind, selector = shard.kind, shard.selector
    if kind == "sites":
        selected = _site_indices(devices, selector, host, sites)
    else:
        selected = _query_indices(devices, selector, host)
    if not selected and not shard.allow_empty:
        # A shard of no device prunes every file its hosts serve: a misspelt
        # site or query must not take a site's phones offline silently.
        raise AnsibleActionFail("sipfleet_shard of host %s: the shard %s selects none of the fleet's %d device(s); "
                                "its hosts would remove every file they serve. Correct it, or add allow_empty: true "
                                "to it if the shard is meant to be empty" % (host, describe_shard(shard), len(devices)))
    return selected


def _site_indices(devices, wanted, host, sites):
    if sites is not None:
        known = set(sites) if isinstance(sites, dict) else set()
        unknown = [site for site in wanted if site not in known]
        if unknown:
            raise AnsibleActionFail("sipfleet_shard of host %s: unknown site %s; sipfleet_sites has %s"
                                    % (host, ", ".join(quote_value(site) for site in unknown),
                                       ", ".join(sorted(str(site) for site in known)) or "none"))
    wanted = set(wanted)
    selected = []
    for index, device in enumerate(devices):
        if not isinstance(device, dict):
            continue
        site = device.get("site")
        if site is not None and not isinstance(site, str):
            raise AnsibleActionFail("sipfleet_shard of host %s: device %s, field site: must be a site name, got %s"
                                    % (host, quote_value(_device_name(device, index)), _kind_of(site)))
        if site in wanted:
            selected.append(index)
    return selected


def _query_indices(devices, selector, host):
    where = "sipfleet_shard of host %s: the JMESPath expression %s" % (host, quote_value(selector.expression))
    selected = []
    for index, device in enumerate(devices):
        try:
            chosen = selector.search(_without_secrets(device) if isinstance(device, dict) else device)
        except Exception as exc:  # pylint: disable=broad-except
            # JMESPath's errors and Python's (a comparison of a string with a number) alike.
            raise AnsibleActionFail("%s fails on device %s (%s; the value is not shown, it may be secret)"
                                    % (where, quote_value(_device_name(device, index)), type(exc).__name__)) from None
        if not isinstance(chosen, bool):
            raise AnsibleActionFail("%s gives %s, not a boolean, on device %s: a shard's query must give true or "
                                    "false for every device (compare, e.g. site == 'berlin')"
                                    % (where, _kind_of(chosen), quote_value(_device_name(device, index))))
        if chosen:
            selected.append(index)
    return selected


def _kind_of(value):
    if value is None:
        return "null"
    return {str: "a string", list: "a list", dict: "a mapping", int: "a number", float: "a number"}.get(
        type(value), type(value).__name__)


def uncovered_devices(devices, sites, host_shards):
    """The labels of the devices no host of ``host_shards`` (``{host: sipfleet_shard or None}``) serves.

    Empty when some host has no shard (it serves the whole fleet) or none
    has one. Each shard is checked as its host's action checks it (an
    unknown site, a shard of no device: errors naming the host), so a bad
    shard fails once, before any host renders.
    """
    if not host_shards or any(shard is None for shard in host_shards.values()):
        return []
    covered = set()
    done = set()
    for host in sorted(host_shards):
        shard = check_shard(host_shards[host], host)
        # The hosts of one shard (redundant servers) select the same devices: once is enough.
        if shard_digest(shard) not in done:
            done.add(shard_digest(shard))
            covered.update(shard_indices(devices, shard, host, sites or {}))
    return [_device_name(device, index) for index, device in enumerate(devices) if index not in covered]


def shard_macs(devices):
    """The canonical MACs of ``devices`` (the key store's keys); a device whose MAC is wrong has none."""
    macs = set()
    for device in devices:
        try:
            macs.add(normalize_mac(device.get("mac")))
        except Exception:  # pylint: disable=broad-except
            # The module names the device and its field; here it only has no keys.
            continue
    return macs


def fleet_lines(fleet, directory=None):
    """Per device of the built ``fleet``, in order: ``[label, site, [[display name, extension], ...]]``.

    What a fleet-wide directory lists of each device: a shard host gets the
    lines of the devices outside its shard from this (see :func:`select_shard`).
    With a fleet-wide ``directory`` (``sipfleet_directory``, ``fleet`` on),
    each line is checked as the module checks a directory entry
    (:func:`~._directory.line_entries`): a bad one is an error naming its
    device and line, once, before any shard renders.
    """
    if isinstance(directory, dict) and directory.get("fleet", True) is not False:
        for device in fleet:
            line_entries(device)
    return [[device.label, device.site, [[line.display_name, line.extension] for line in device.lines]]
            for device in fleet]


def _model_lines(content, host):
    """:func:`fleet_lines` of ``content``'s devices, built here (a shard without a fleet bundle)."""
    try:
        dummy, fleet = build_model(content["devices"] or [], content["defaults"], content["sites"], content["models"],
                                   vendor_for_model)
    except ProvisioningError as exc:
        raise AnsibleActionFail("sipfleet_shard of host %s: the fleet-wide directory lists every device of the fleet, "
                                "and the fleet does not build: %s" % (host, exc)) from None
    return fleet_lines(fleet)


def select_shard(content, shard, host, lines=None):
    """``content`` (:data:`BUNDLE_OPTIONS`) with only the devices of ``shard`` and their keys.

    A fleet-wide directory (``sipfleet_directory`` with ``fleet`` on) still
    lists every phone of the fleet: the lines of the other devices - from
    ``lines`` (:func:`fleet_lines`), else built here - go with it under
    :data:`~._directory.OTHER_LINES` (never a field of the directory, which a
    user's ``sipfleet_directory`` could give), each with its device's label
    and line index; they hold names and extensions, never a secret.
    """
    devices = content["devices"] or []
    indices = shard_indices(devices, shard, host, content.get("sites") or {})
    chosen = set(indices)
    selected = dict(content)
    selected.pop(OTHER_LINES, None)
    selected["devices"] = [devices[index] for index in indices]
    macs = shard_macs(selected["devices"])
    for name in ("keys", "next_keys"):
        selected[name] = dict((mac, value) for mac, value in (content.get(name) or {}).items() if mac in macs)
    directory = content.get("directory")
    if isinstance(directory, dict) and directory.get("fleet", True) is not False and len(chosen) < len(devices):
        if lines is None or len(lines) != len(devices):
            lines = _model_lines(content, host)
        selected[OTHER_LINES] = [
            [label, line_index, name, extension, site]
            for index, (label, site, device_lines) in enumerate(lines) if index not in chosen
            for line_index, (name, extension) in enumerate(device_lines)]
    return selected


def shard_digest(shard):
    """A name for ``shard`` (from :func:`check_shard`): hosts of the same shard share one file."""
    kind, selector = shard.kind, shard.selector
    text = json.dumps([kind, selector if kind == "sites" else selector.expression, shard.allow_empty])
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def shard_bundle(bundle, shard, host):
    """The bundle of ``shard``, written next to ``bundle`` once per distinct shard; returns ``{path, sha256, devices}``."""
    directory = os.path.dirname(bundle["path"])
    path = os.path.join(directory, "shard-%s-%s.json" % (bundle["sha256"][:16], shard_digest(shard)))
    if os.path.exists(path):
        # Another host of this shard made it from this bundle (the private
        # directory is this run's only): the whole fleet is not read again.
        with open(path, "rb") as handle:
            data = handle.read()
        return {"path": path, "sha256": hashlib.sha256(data).hexdigest(), "devices": len(json.loads(data)["devices"])}
    content = read_bundle(bundle)
    lines = None
    if os.path.exists(_lines_path(bundle["path"])):
        with open(_lines_path(bundle["path"]), "rb") as handle:
            lines = json.loads(handle.read().decode("utf-8"))
    content = select_shard(content, shard, host, lines)
    data = encode(content)
    # Hosts of one shard run in parallel workers: each writes its own
    # temporary file and renames it; the bytes are the same.
    temporary = "%s.%d.tmp" % (path, os.getpid())
    _write_new(temporary, data)
    os.replace(temporary, path)
    return {"path": path, "sha256": hashlib.sha256(data).hexdigest(), "devices": len(content["devices"])}
