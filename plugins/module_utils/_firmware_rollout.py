# Copyright (c) sipfleet.provisioning contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Staged firmware rollouts over the device list.

Phones are data (``sipfleet_devices``), so a rollout's "groups" are sets of
devices picked by site, model, name or MAC. A rollout spec names the new
firmware, the waves in the order they go and the wave the rollout has reached;
:func:`apply_rollout` returns the device list with ``settings.firmware_version``
(and ``settings.firmware_url``) set accordingly::

    models: [GXP2170, GXP2160]        # scope: the devices this firmware is for (default: every device)
    version: "1.0.11.16"              # required
    url: http://prov.example.net/fw   # optional
    previous_version: "1.0.11.10"     # optional: for the devices of the waves still to come
    previous_url: http://...          # optional
    waves:
      - name: pilot
        devices: [berlin-reception, "00:0B:82:00:00:17"]
      - name: berlin
        sites: [berlin]
        models: [GXP2170]             # sites and models of one wave must all match
      - name: rest
        rest: true                    # every device of the scope no other wave selects
    current_wave: berlin

A device named in a wave's ``devices`` belongs to that wave only, whatever the
filters of other waves say, so a pilot can take phones from a site that a
later wave selects as a whole.

A device of a wave up to and including ``current_wave`` gets ``version`` (and
``url``); any other device of the scope gets ``previous_version`` and
``previous_url`` when they are given, else it is returned unchanged. Devices
outside the scope are returned unchanged. Unchanged devices are returned as
the very same objects and the input is never modified, so the function stays
fast on large fleets.

The function also takes a list of such specs (one per firmware, for example
one per vendor family); a device in the scope of two of them is an error.
"""

from __future__ import annotations

import re

from ansible_collections.sipfleet.provisioning.plugins.module_utils._errors import ProvisioningError
from ansible_collections.sipfleet.provisioning.plugins.module_utils._mac import normalize_mac

ROLLOUT_FIELDS = ("models", "version", "url", "previous_version", "previous_url", "waves", "current_wave")
WAVE_FIELDS = ("name", "sites", "models", "devices", "rest")

# Versions end up in file names (Grandstream P233 "_<version>") and in Cisco
# Upgrade_Rule conditions: no white space, no path separators, no macros.
_VERSION_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._()+~-]{0,63}$")
_URL_RE = re.compile(r"^(?:tftp|http|https|ftp|ftps)://[^\s/?#]+(?:/[^\s]*)?$")
_WAVE_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.+-]{0,63}$")
_MAC_FORM_RE = re.compile(r"^\s*[0-9A-Fa-f]{2}([:-]?)(?:[0-9A-Fa-f]{2}\1){4}[0-9A-Fa-f]{2}\s*$|^\s*[0-9A-Fa-f]{4}(?:\.[0-9A-Fa-f]{4}){2}\s*$")
_MAC_SEPARATORS = str.maketrans("", "", ":-.")


class _Wave:
    """One wave: its filters (sites and models, all of which must match) and its named devices."""

    __slots__ = ("index", "name", "field", "sites", "models", "devices", "rest")

    def __init__(self, index, name, field, sites, models, devices, rest):
        self.index = index
        self.name = name
        self.field = field
        self.sites = sites
        self.models = models
        self.devices = devices
        self.rest = rest


class _Rollout:
    """A validated rollout spec."""

    __slots__ = ("field", "models", "new", "previous", "waves", "current", "rest", "filter_waves")

    def __init__(self, field, models, new, previous, waves, current):
        self.field = field
        self.models = models
        self.new = new
        self.previous = previous
        self.waves = waves
        self.current = current
        self.rest = waves[-1] if waves and waves[-1].rest else None
        self.filter_waves = tuple(wave for wave in waves if wave.sites is not None or wave.models is not None)


def _fail(message, field, device=None):
    return ProvisioningError(message, device=device, field=field)


def _check_keys(value, allowed, field, what):
    if not isinstance(value, dict):
        raise _fail("must be a mapping (%s), got %s" % (what, _type_name(value)), field)
    unknown = sorted(str(key) for key in value if key not in allowed)
    if unknown:
        raise _fail("unknown key(s) %s; %s has %s" % (", ".join(unknown), what, ", ".join(allowed)),
                    "%s.%s" % (field, unknown[0]))


def _type_name(value):
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, (list, tuple)):
        return "a list"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, float):
        return "a number"
    return type(value).__name__


def _version(value, field, required):
    if value is None or value == "":
        if required:
            raise _fail("is required", field)
        return None
    if isinstance(value, float):
        raise _fail("got the number %r: quote the version (YAML reads 1.10 as 1.1)" % (value,), field)
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise _fail("must be a string, got %s" % _type_name(value), field)
    text = str(value)
    if not _VERSION_RE.match(text):
        raise _fail("%r is not a firmware version: use 1 to 64 of A-Z a-z 0-9 . _ ( ) + ~ -, starting with a letter "
                    "or digit" % (text,), field)
    return text


def _url(value, field):
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise _fail("must be a string, got %s" % _type_name(value), field)
    if not _URL_RE.match(value):
        # The value is not shown: it may carry user:password@.
        raise _fail("is not a URL of the form scheme://host[:port]/path with scheme tftp, http, https, ftp or ftps",
                    field)
    return value


def _names(value, field, what):
    """A list of non-empty strings (a single string is refused: it is a common slip for a one-item list)."""
    if value is None:
        return None
    if not isinstance(value, list):
        hint = ": write [%s]" % value if isinstance(value, str) else ""
        raise _fail("must be a list of %s, got %s%s" % (what, _type_name(value), hint), field)
    if not value:
        raise _fail("must not be empty (leave it out to select by the other fields)", field)
    names = []
    for position, item in enumerate(value):
        if isinstance(item, bool) or not isinstance(item, (str, int)) or str(item).strip() == "":
            raise _fail("must be a %s, got %s" % (what[:-1], _type_name(item)), "%s[%d]" % (field, position))
        names.append(str(item).strip())
    return names


def _model_key(model):
    return model.strip().upper()


def _mac_key(value):
    """A device's MAC in twelve lower-case digits, without checking it (render_profiles does)."""
    return value.strip().translate(_MAC_SEPARATORS).lower()


def _parse_wave(raw, index, field, scope_models):
    _check_keys(raw, WAVE_FIELDS, field, "a wave")
    name = raw.get("name")
    if not isinstance(name, str) or not _WAVE_NAME_RE.match(name):
        raise _fail("is required: 1 to 64 of A-Z a-z 0-9 _ . + -, starting with a letter or digit, got %r" % (name,),
                    field + ".name")
    rest = raw.get("rest", False)
    if not isinstance(rest, bool):
        raise _fail("must be true or false, got %s" % _type_name(rest), field + ".rest")
    sites = _names(raw.get("sites"), field + ".sites", "site names")
    models = _names(raw.get("models"), field + ".models", "model names")
    devices = _names(raw.get("devices"), field + ".devices", "device names or MACs")
    if rest:
        given = [key for key in ("sites", "models", "devices") if raw.get(key) is not None]
        if given:
            raise _fail("a rest wave selects every device no other wave selects: it takes no %s" % given[0],
                        "%s.%s" % (field, given[0]))
    elif sites is None and models is None and devices is None:
        raise _fail("selects nothing: give sites, models or devices, or rest: true", field)
    model_set = None
    if models is not None:
        model_set = {}
        for position, model in enumerate(models):
            key = _model_key(model)
            if scope_models is not None and key not in scope_models:
                raise _fail("model %s is not one of the rollout's models (%s)" % (key, ", ".join(sorted(scope_models))),
                            "%s.models[%d]" % (field, position))
            model_set.setdefault(key, "%s.models[%d]" % (field, position))
    site_set = None
    if sites is not None:
        site_set = {}
        for position, site in enumerate(sites):
            site_set.setdefault(site, "%s.sites[%d]" % (field, position))
    return _Wave(index, name, field, site_set, model_set, devices, rest)


def _parse_rollout(raw, field):
    _check_keys(raw, ROLLOUT_FIELDS, field, "a rollout")
    scope = _names(raw.get("models"), field + ".models", "model names")
    scope_models = None if scope is None else frozenset(_model_key(model) for model in scope)
    version = _version(raw.get("version"), field + ".version", required=True)
    url = _url(raw.get("url"), field + ".url")
    previous_version = _version(raw.get("previous_version"), field + ".previous_version", required=False)
    previous_url = _url(raw.get("previous_url"), field + ".previous_url")
    if previous_url is not None and previous_version is None:
        raise _fail("needs previous_version: a firmware URL without its version would not upgrade a phone",
                    field + ".previous_url")

    raw_waves = raw.get("waves")
    if not isinstance(raw_waves, list) or not raw_waves:
        raise _fail("is required: a non-empty list of waves, in rollout order, got %s" % _type_name(raw_waves),
                    field + ".waves")
    waves = []
    by_name = {}
    for index, raw_wave in enumerate(raw_waves):
        wave = _parse_wave(raw_wave, index, "%s.waves[%d]" % (field, index), scope_models)
        if wave.name in by_name:
            raise _fail("wave name %r is already used by %s" % (wave.name, by_name[wave.name].field), wave.field + ".name")
        if wave.rest and index != len(raw_waves) - 1:
            raise _fail("the rest wave must be the last wave", wave.field + ".rest")
        by_name[wave.name] = wave
        waves.append(wave)

    current_name = raw.get("current_wave")
    if not isinstance(current_name, str) or current_name not in by_name:
        raise _fail("%s: must be the name of one of the waves (%s)"
                    % ("is required" if current_name is None else "unknown wave %r" % (current_name,),
                       ", ".join(wave.name for wave in waves)), field + ".current_wave")

    new = {"firmware_version": version}
    if url is not None:
        new["firmware_url"] = url
    previous = None
    if previous_version is not None:
        previous = {"firmware_version": previous_version}
        if previous_url is not None:
            previous["firmware_url"] = previous_url
    return _Rollout(field, scope_models, new, previous, waves, by_name[current_name].index)


def parse_rollouts(rollout):
    """Validate one rollout spec or a list of them; returns a list of :class:`_Rollout`."""
    if isinstance(rollout, list):
        if not rollout:
            raise _fail("must be a rollout spec or a non-empty list of them", "rollout")
        return [_parse_rollout(raw, "rollout[%d]" % index) for index, raw in enumerate(rollout)]
    return [_parse_rollout(rollout, "rollout")]


def _label(device, index):
    for key in ("name", "mac"):
        value = device.get(key)
        if isinstance(value, (str, int)) and not isinstance(value, bool) and str(value).strip():
            return str(value).strip()
    return "sipfleet_devices[%d]" % index


class _Named:
    """Where a device named by a wave's ``devices`` is: rollout, wave and the selector's field."""

    __slots__ = ("rollout", "wave", "field", "value", "hit")

    def __init__(self, rollout, wave, field, value):
        self.rollout = rollout
        self.wave = wave
        self.field = field
        self.value = value
        self.hit = False


def _index_named_devices(rollouts):
    """Map every ``devices`` selector, by name and by MAC, to its wave."""
    by_name = {}
    by_mac = {}
    for rollout in rollouts:
        for wave in rollout.waves:
            for position, value in enumerate(wave.devices or ()):
                named = _Named(rollout, wave, "%s.devices[%d]" % (wave.field, position), value)
                keys = [(by_name, value)]
                if _MAC_FORM_RE.match(value):
                    keys.append((by_mac, normalize_mac(value, field=named.field)))
                for table, key in keys:
                    other = table.get(key)
                    if other is not None:
                        raise _fail("%r is already selected by %s" % (value, other.field), named.field)
                    table[key] = named
    return by_name, by_mac


class _Group:
    """What the devices of one (site, model) pair share: their rollout and the filter wave that selects them."""

    __slots__ = ("target", "wave", "clash", "scope_clash")

    def __init__(self, target, wave, clash, scope_clash):
        self.target = target
        self.wave = wave
        self.clash = clash
        self.scope_clash = scope_clash


def _group(rollouts, site, model, hit_fields):
    model_key = _model_key(model) if model is not None else None
    target = wave = clash = scope_clash = None
    for rollout_spec in rollouts:
        if rollout_spec.models is not None and model_key not in rollout_spec.models:
            continue
        if target is not None:
            scope_clash = (target, rollout_spec)
            break
        target = rollout_spec
        for candidate in rollout_spec.filter_waves:
            site_field = model_field = None
            if candidate.sites is not None:
                site_field = candidate.sites.get(site)
                if site_field is None:
                    continue
            if candidate.models is not None:
                model_field = candidate.models.get(model_key)
                if model_field is None:
                    continue
            if site_field is not None:
                hit_fields.add(site_field)
            if model_field is not None:
                hit_fields.add(model_field)
            if wave is None:
                wave = candidate
            elif clash is None:
                clash = (wave, candidate)
    return _Group(target, wave, clash, scope_clash)


def apply_rollout(devices, rollout):
    """Return ``devices`` with the firmware settings of ``rollout`` applied; see the module documentation.

    Raises :class:`ProvisioningError` naming the field for an invalid spec, a
    selector that selects no device, or a device selected by two waves (or in
    the scope of two rollouts).
    """
    if not isinstance(devices, list):
        raise _fail("must be a list of devices, got %s" % _type_name(devices), "sipfleet_devices")
    rollouts = parse_rollouts(rollout)
    named_by_name, named_by_mac = _index_named_devices(rollouts)
    # Normalising every device's MAC would cost more than the rest of the
    # work: only MACs ending in the last octet of a selector are looked at.
    mac_tails = frozenset(mac[-2:] for mac in named_by_mac)
    # Which site and model selectors selected at least one device.
    hit_fields = set()
    # Sites x models is small next to the fleet: decide once per pair.
    groups = {}

    result = []
    append = result.append
    for index, device in enumerate(devices):
        if not isinstance(device, dict):
            raise _fail("must be a mapping, got %s" % _type_name(device), "sipfleet_devices[%d]" % index)
        site = device.get("site")
        model = device.get("model")
        key = (site if isinstance(site, str) else None, model if isinstance(model, str) else None)
        group = groups.get(key)
        if group is None:
            group = groups[key] = _group(rollouts, key[0], key[1], hit_fields)

        named = None
        if named_by_name:
            name = device.get("name")
            if name is not None:
                named = named_by_name.get(str(name))
        if mac_tails:
            mac = device.get("mac")
            if isinstance(mac, str) and mac.rstrip()[-2:].lower() in mac_tails:
                by_mac = named_by_mac.get(_mac_key(mac))
                if by_mac is not None:
                    if named is not None and named is not by_mac:
                        raise _fail("selected by its name in %s and by its MAC in %s; a device may be in one wave only"
                                    % (named.field, by_mac.field), by_mac.field, _label(device, index))
                    named = by_mac

        if group.scope_clash is not None:
            first, second = group.scope_clash
            raise _fail("also in the scope of %s: a device can follow one rollout only" % first.field,
                        second.field + ".models", _label(device, index))
        target = group.target
        if named is not None:
            # A device a wave names explicitly belongs to that wave: the
            # filters of the other waves pass over it.
            if named.rollout is not target:
                raise _fail("device %r is not in the scope of %s (its model is %s)"
                            % (named.value, named.rollout.field, key[1]), named.field)
            named.hit = True
            chosen = named.wave
        else:
            if group.clash is not None:
                first, second = group.clash
                raise _fail("also selected by wave %r (%s); a device may be in one wave only" % (first.name, first.field),
                            second.field, _label(device, index))
            chosen = group.wave

        if target is None:
            append(device)
            continue
        if chosen is None:
            chosen = target.rest
        if chosen is not None and chosen.index <= target.current:
            wanted = target.new
        else:
            wanted = target.previous
        append(_with_settings(device, index, wanted) if wanted is not None else device)

    _check_selectors_hit(rollouts, hit_fields, named_by_name)
    return result


def _with_settings(device, index, wanted):
    """``device`` itself when it already has ``wanted``, else a shallow copy with a new settings mapping."""
    settings = device.get("settings")
    if isinstance(settings, dict):
        for key, value in wanted.items():
            if settings.get(key) != value:
                break
        else:
            return device
        new_settings = dict(settings)
    elif settings is None:
        new_settings = {}
    else:
        raise _fail("must be a mapping of settings, got %s" % _type_name(settings), "settings",
                    _label(device, index))
    new_settings.update(wanted)
    copy = dict(device)
    copy["settings"] = new_settings
    return copy


def _check_selectors_hit(rollouts, hit_fields, named_by_name):
    for rollout in rollouts:
        for wave in rollout.waves:
            for selectors, what in ((wave.sites, "site"), (wave.models, "model")):
                for value, field in (selectors or {}).items():
                    if field not in hit_fields:
                        others = []
                        if what == "site" and wave.models is not None:
                            others.append("of models %s" % ", ".join(sorted(wave.models)))
                        if what == "model" and wave.sites is not None:
                            others.append("at sites %s" % ", ".join(sorted(wave.sites)))
                        if rollout.models is not None and what == "site":
                            others.append("in the rollout's models %s" % ", ".join(sorted(rollout.models)))
                        raise _fail("%s %r selects no device%s" % (what, value, " " + " ".join(others) if others else ""),
                                    field)
    # Every selector of a wave's devices is indexed by name (MAC forms by MAC
    # too), so this covers them all.
    for named in named_by_name.values():
        if not named.hit:
            raise _fail("no device in the scope has the name or MAC %r" % (named.value,), named.field)
