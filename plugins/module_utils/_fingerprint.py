# Copyright (c) sipfleet.provisioning contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Fingerprints of what a device's files depend on, for incremental runs.

A device whose fingerprint equals the one recorded in the render cache (and
whose served files are the ones recorded) need not be validated, rendered
or encrypted again. A fingerprint that misses an input would serve stale
bytes silently, so every input is listed in :func:`device_fingerprint`, and
where a narrower input was not audited the wider one is taken (a wider
input only costs a render, never a wrong skip).
"""

from __future__ import annotations

import hashlib
import json
import os
import sys

from ansible_collections.sipfleet.provisioning.plugins.module_utils import _timezone
from ansible_collections.sipfleet.provisioning.plugins.module_utils._device_model import canonical_model

#: Bump to render every device again once (a change in what the fingerprint covers).
FINGERPRINT_VERSION = 1

_PACKAGE = "ansible_collections.sipfleet.provisioning.plugins.module_utils."
_VENDORS = _PACKAGE + "_vendors."
#: Modules whose source is not about what a device's files hold (the fingerprint's own readers).
GENERIC = "generic"


def canonical_json(value):
    """The canonical JSON text of ``value`` (sorted keys, compact, UTF-8 kept)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=repr)


def digest(value):
    """SHA-256 (hex) of :func:`canonical_json` of ``value``."""
    return hashlib.sha256(canonical_json(value).encode("utf-8")).hexdigest()


def code_digests(modules=None, families=()):
    """``{family: hex, "generic": hex}``: digests of the source of the loaded module_utils modules.

    A module under ``_vendors/<family>/`` counts for that family, every other
    loaded module of the collection's module_utils (the base renderer, the
    codecs, the data model, time zones, the directory...) for ``generic``.
    The source is read through the module's loader, so it works from the
    AnsiballZ zip as from files. A module whose source cannot be read makes
    the digest a random nonce: every device is rendered (never a wrong skip).
    """
    modules = sys.modules if modules is None else modules
    parts = dict((name, []) for name in families)
    parts.setdefault(GENERIC, [])
    nonce = set()
    for name in sorted(modules):
        if not name.startswith(_PACKAGE):
            continue
        module = modules[name]
        rest = name[len(_VENDORS):] if name.startswith(_VENDORS) else ""
        # _vendors.<family>.<module> is the family's; _vendors.base, the
        # Cisco flat profile shared by two families... are generic.
        family = rest.split(".")[0] if "." in rest else GENERIC
        parts.setdefault(family, [])
        source = _source_of(module, name)
        if source is None:
            nonce.add(family)
            continue
        parts[family].append(name)
        parts[family].append(hashlib.sha256(source).hexdigest())
    digests = {}
    for family, items in parts.items():
        if family in nonce:
            digests[family] = "nonce-" + os.urandom(16).hex()
        else:
            digests[family] = digest(items)
    return digests


def _source_of(module, name):
    loader = getattr(module, "__loader__", None)
    if loader is None or not hasattr(loader, "get_source"):
        return None
    try:
        source = loader.get_source(name)
    except Exception:   # pylint: disable=broad-except
        # Whatever the loader's reason, an unreadable source is an unknown
        # code version: the caller renders everything.
        return None
    if source is None:
        return None
    return source.encode("utf-8") if isinstance(source, str) else bytes(source)


def zone_digest(name):
    """Digest of what ``_timezone`` reads for the zone ``name`` (its footer and transitions), or of the error."""
    if not _timezone.is_zone_name(name):
        return None
    try:
        path, footer, transitions = _timezone._zone_footer(name, None, "settings.timezone")
    except Exception as exc:    # pylint: disable=broad-except
        # A zone that cannot be read now fails validation: the device must
        # not look clean, so its digest differs from any readable zone's.
        return digest(["error", str(exc)])
    return digest([path, footer, [list(item) for item in transitions]])


def _digest_or_none(value):
    """:func:`digest` of ``value``, or ``None`` when JSON cannot sort it (keys of mixed types): no fingerprint, a render."""
    try:
        return digest(value)
    except (TypeError, ValueError, RecursionError):
        return None


def keys_digest(keys):
    """SHA-256 of a device's key material (the manifest never holds a key, only this)."""
    if not keys:
        return None
    return hashlib.sha256(("sipfleet-fp-keys|" + canonical_json(keys)).encode("utf-8")).hexdigest()


class FleetContext:
    """The shared inputs of one run's fingerprints, digested once.

    ``defaults``, ``sites``, ``models``, ``directory``: the raw inventory
    values; ``code``: :func:`code_digests`; ``options``: the run options
    that change bytes or checks (``strict``, ``http_credentials_enforced``).
    """

    def __init__(self, defaults, sites, models, directory, code, options):
        self.defaults = defaults if isinstance(defaults, dict) else {}
        self.defaults_digest = _digest_or_none(defaults)
        self.sites = sites if isinstance(sites, dict) else {}
        self.site_digests = dict((str(name), _digest_or_none(value)) for name, value in self.sites.items())
        self.models = {}
        if isinstance(models, dict):
            for name, value in models.items():
                # The data model looks models up case-insensitively.
                self.models.setdefault(canonical_model(str(name)), []).append([str(name), value])
        self.model_digests = dict((name, _digest_or_none(value)) for name, value in self.models.items())
        # The device files read whether there is a directory and where it is
        # (fleet, per_site); its contacts feed only the phonebooks, which are
        # rendered every run.
        if isinstance(directory, dict):
            self.directory_digest = _digest_or_none(dict((name, value) for name, value in directory.items()
                                                         if name != "contacts"))
        else:
            self.directory_digest = _digest_or_none(directory)
        # An input JSON cannot sort (a dict with keys of mixed types): no
        # device has a fingerprint, every device is validated and rendered,
        # and the data model reports what is wrong as in a full run.
        self.uncomputable = None in ([self.defaults_digest, self.directory_digest] + list(self.site_digests.values())
                                     + list(self.model_digests.values()))
        self.code = code
        self.options = digest(options)
        self._zones = {}

    def zone(self, name):
        if name not in self._zones:
            self._zones[name] = zone_digest(name)
        return self._zones[name]

    def zones_of(self, raw, model):
        """``[[name, zone digest], ...]`` of every ``timezone`` of a raw device's levels: own, model, site, defaults.

        Not only the effective one: Poly's device files are diffs against the
        common file of the defaults' zone, Panasonic's standard file is compared
        with the files of the defaults' and the model's zones.
        """
        own = raw.get("settings") if isinstance(raw.get("settings"), dict) else {}
        levels = [own]
        for _name, value in self.models.get(model, ()):
            levels.append(value if isinstance(value, dict) else {})
        site = raw.get("site")
        site_value = self.sites.get(site) if isinstance(site, str) else None
        levels.append(site_value if isinstance(site_value, dict) else {})
        levels.append(self.defaults)
        names = []
        for level in levels:
            value = level.get("timezone")
            if isinstance(value, str) and value not in names:
                names.append(value)
        return [[name, self.zone(name)] for name in names]


def device_fingerprint(raw, vendor, keys, ctx):
    """The validation fingerprint of one raw device (hex).

    Covers, in one canonical JSON list:

    1. :data:`FINGERPRINT_VERSION`;
    2. the code digests of the device's family and of the generic modules;
    3. the raw device as given (every field, its own settings included);
    4. its settings' other levels - the raw ``sipfleet_defaults``, its site's
       and its model's raw entries: the merged settings are a function of
       these, and renderers read the defaults, the model's raw entry and the
       model's settings directly (field names, shared URLs), so all three
       are inputs (wider than the merge, never narrower);
    5. the zone data of every time zone named at its levels (own, model,
       site, defaults), not only the effective one: shared files built from
       the defaults' and the model's zones feed device files (a tzdata
       update renders exactly the devices that name a changed zone);
    6. the directory's options without its contacts (presence, ``fleet``,
       ``per_site``: a device file may carry the directory's URL);
    7. the hash of the keys it is checked and rendered with (after the key
       store's were attached);
    8. the run options that change bytes or checks.

    Not in it: bootstrap windows and evidence (which files are served is
    decided every run), other devices (their lines feed only phonebooks and
    shared files, rendered every run).
    """
    if not isinstance(raw, dict) or ctx.uncomputable:
        return None
    model = canonical_model(str(raw.get("model") or ""))
    site = raw.get("site")
    zones = ctx.zones_of(raw, model)
    return _digest_or_none([
        FINGERPRINT_VERSION,
        ctx.code.get(vendor) or ctx.code.get(GENERIC),
        ctx.code.get(GENERIC),
        vendor,
        raw,
        ctx.defaults_digest,
        ctx.site_digests.get(site) if isinstance(site, str) else None,
        ctx.model_digests.get(model),
        zones,
        ctx.directory_digest,
        keys_digest(keys),
        ctx.options,
    ])


def render_fingerprint(validated, keys, next_keys):
    """The render fingerprint: the validation one, the keys rendered with and, in a rotation, the successor's."""
    return digest([validated, keys_digest(keys), keys_digest(next_keys) if next_keys is not None else None])
