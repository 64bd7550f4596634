# Copyright (c) sipfleet.provisioning contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Hostile inventory values through the whole inventory -> files path, for every vendor.

Whatever a MAC, model, site, name, prefix, postfix, setting, raw parameter or
line field holds, a run either refuses it - every error naming the field,
and the device for a device's field - or writes plain files only inside the
configured root: XML files well-formed, Panasonic files one parameter a line
with no line over 537 bytes. A value YAML typed (an integer, a float, a
boolean) is always refused, never converted.

The strategies build mostly valid devices (known models, MACs in every
accepted form, names from a safe alphabet) with a hostile part in them, so
that most examples get past validation and exercise the writing branch; each
test counts how many do and fails when fewer than :data:`MIN_WRITTEN` of its
examples reach it.
"""

from __future__ import annotations

import collections
import os
import shutil
import tempfile
from xml.etree import ElementTree

import pytest
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st

from ansible_collections.sipfleet.provisioning.plugins.module_utils._errors import ProvisioningError, ProvisioningErrors
from ansible_collections.sipfleet.provisioning.plugins.module_utils._phone_profiles import run
from ansible_collections.sipfleet.provisioning.plugins.module_utils._fleet import VENDORS

#: Share of a test's examples that must reach the file-writing branch.
MIN_WRITTEN = 0.6

#: Longest line a Panasonic phone reads (vendor-facts.md).
PANASONIC_MAX_LINE_BYTES = 537

_EXAMPLES = 120
_SETTINGS = settings(max_examples=_EXAMPLES, deadline=None, database=None,
                     suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

# -- Building blocks ---------------------------------------------------------

#: Fragments aimed at paths, markup, line structure, macros and templates.
_NASTY = ["..", "../", "../../etc/passwd", "/etc/passwd", "a/b", "a\\b", ".hidden", "~root", "\x00", "\n", "\r\n",
          "<", ">", "&", "&amp;", '"', "'", "]]>", "<!--", "<![CDATA[", "<P34>x</P34>", "%2e%2e%2f", "${IFS}",
          "$(id)", "$MA", "$PSN", "$SN", "$MAU", "*", " ", "\t", "\u202e", "\ufeff", "\u00ff", "\u20ac", "\U0001f600",
          "cfg", "000b82123456", "Config", "{{", "}}", "{%", "{#", "#}", "{{ lookup('pipe', 'id') }}", "=", ";",
          "# comment", "\\", "\x7f", "\x1b[31m"]

_SAFE_CHARS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
_SAFE = st.text(alphabet=_SAFE_CHARS, min_size=1, max_size=12)

#: Values YAML reads from unquoted scalars: never text, always refused.
_YAML_TYPED = st.one_of(st.integers(min_value=-10, max_value=10 ** 13), st.floats(allow_nan=False), st.booleans())


def _mostly(valid, *hostile, tenths=8):
    """``valid`` in about ``tenths`` of ten examples, else one of ``hostile``."""
    return st.sampled_from([True] * tenths + [False] * (10 - tenths)).flatmap(
        lambda pick_valid: valid if pick_valid else st.one_of(*hostile))


def _with_hostile_part(base):
    """A safe value with a hostile fragment (or random text) spliced in."""
    return st.tuples(base, st.sampled_from(_NASTY) | st.text(max_size=6), base).map("".join)


#: Free text: mostly printable text with hostile fragments, sometimes raw
#: random text, rarely a YAML-typed value.
_TEXT = st.one_of(
    _SAFE,
    _with_hostile_part(_SAFE),
    st.lists(st.sampled_from(_NASTY) | _SAFE, min_size=1, max_size=6).map("".join),
    st.text(min_size=1, max_size=40),
)

_KNOWN_MODELS = dict((name, sorted(renderer.known_models())) for name, renderer in sorted(VENDORS.items()))


def _mac_forms(octets):
    """The forms a MAC may be written in, upper and lower case."""
    hexes = ["%02x" % octet for octet in octets]
    bare = "".join(hexes)
    forms = [":".join(hexes), "-".join(hexes), ".".join(bare[i:i + 4] for i in range(0, 12, 4)), bare]
    return forms + [form.upper() for form in forms]


#: A unicast, non-zero MAC in any accepted form.
_VALID_MAC = st.lists(st.integers(0, 255), min_size=6, max_size=6).map(
    lambda octets: [octets[0] & 0xFE] + octets[1:]).filter(any).flatmap(lambda octets: st.sampled_from(_mac_forms(octets)))

_MAC = _mostly(_VALID_MAC, _with_hostile_part(_VALID_MAC), _TEXT, _YAML_TYPED)
_NAME = _mostly(_SAFE, _with_hostile_part(_SAFE), _TEXT, _YAML_TYPED)
_SITE = _NAME


@st.composite
def _vendor_and_model(draw):
    vendor = draw(st.sampled_from(sorted(_KNOWN_MODELS)))
    return vendor, draw(st.sampled_from(_KNOWN_MODELS[vendor]))


def _panasonic_text():
    """Values near and across the 500-character and 537-byte limits of a Panasonic line."""
    return st.tuples(st.integers(470, 540), st.sampled_from(["a", "\u00e9", "\u20ac", "<", "&"])).map(
        lambda size_char: size_char[1] * size_char[0] if size_char[1] in "a<&" else
        "a" * (size_char[0] - 30) + size_char[1] * 30)


_GRANDSTREAM = ("grandstream", "GXP2170")
_PANASONIC = ("panasonic", "KX-UT133")

_LINE_FIELDS = ["extension", "auth_user", "password", "display_name", "sip_server"]

#: Defaults every example starts from: plain files, served at once.
_DEFAULTS = {"sip_server": "pbx.example.net", "provisioning_url": "http://prov.example.net",
             "encrypt_profiles": False, "allow_plain_credentials": True}


def _device(vendor_model, mac="00:0b:82:12:34:56", name="desk"):
    vendor, model = vendor_model
    return {"mac": mac, "model": model, "vendor": vendor, "name": name,
            "lines": [{"extension": "201", "password": "Secret201", "display_name": "Desk"}]}


# -- Running and checking ----------------------------------------------------

def _attempt(devices, defaults=None, sites=None):
    """Run the inventory into a fresh root: ``(error, None)`` or ``(None, {path: bytes})``."""
    workdir = tempfile.mkdtemp()
    root = os.path.join(workdir, "root")
    try:
        try:
            run({"devices": devices, "defaults": dict(_DEFAULTS, **(defaults or {})), "sites": sites or {},
                 "models": {}, "roots": [root], "state_dir": os.path.join(workdir, "state"),
                 "bootstrap_serve": "always"})
        except ProvisioningError as exc:
            return exc, None
        return None, _written(workdir, root)
    finally:
        shutil.rmtree(workdir)


def _written(workdir, root):
    """Every file under the root; fails on anything outside the root and the state directory."""
    assert sorted(os.listdir(workdir)) == ["root", "state"]
    real_root = os.path.realpath(root)
    files = {}
    for directory, dirs, names in os.walk(root):
        for name in dirs + names:
            path = os.path.join(directory, name)
            assert not os.path.islink(path), path
            assert os.path.realpath(path).startswith(real_root + os.sep), path
        for name in names:
            path = os.path.join(directory, name)
            assert os.path.isfile(path), path
            with open(path, "rb") as handle:
                files[os.path.relpath(path, root)] = handle.read()
    assert files, "a run that succeeded wrote nothing"
    return files


def _check_files(files):
    """Written files keep their structure whatever the values were."""
    for path, content in files.items():
        if content.lstrip().startswith(b"<"):
            ElementTree.fromstring(content)
        if content.startswith(b"# Panasonic"):
            # One parameter a line: nothing in a value can start another, and
            # no line is longer than the phone reads.
            for line in content.split(b"\r\n")[1:]:
                assert len(line) <= PANASONIC_MAX_LINE_BYTES, (path, len(line))
                text = line.decode("utf-8")
                assert text == "" or text.startswith("#") or (
                    '="' in text and text.endswith('"') and text.count('"') == 2), (path, text[:100])


def _check_refusal(exc, device_level=True, fields=None):
    errors = exc.errors if isinstance(exc, ProvisioningErrors) else [exc]
    for error in errors:
        assert error.field, "an error names no field: %s" % error
        if device_level:
            assert error.device is not None, "an error names no device: %s" % error
        # A value is quoted cut, never whole.
        assert len(str(error)) < 2000, str(error)[:300]
    if fields is not None:
        assert any(error.field.startswith(fields) for error in errors), [error.field for error in errors]
    return errors


def _is_yaml_typed(value):
    return isinstance(value, (int, float, bool))


def _check_yaml_typed_refused(exc, value, field):
    """A YAML-typed value is refused naming its field, never converted."""
    assert exc is not None, "the %s %r was converted instead of refused" % (type(value).__name__, value)
    errors = exc.errors if isinstance(exc, ProvisioningErrors) else [exc]
    matching = [error for error in errors if error.field == field]
    assert matching, [error.field for error in errors]
    assert "YAML read it as" in matching[0].message


class _Outcomes:
    """Counts how examples end; asserts the writing branch is reached often enough."""

    def __init__(self):
        self.counts = collections.Counter()

    def record(self, exc):
        outcome = "written" if exc is None else "refused"
        self.counts[outcome] += 1
        event(outcome if exc is None else "refused: %s" % (exc.field,))

    def check(self):
        total = sum(self.counts.values())
        # Shown with pytest -s: how much of the run reached the writer.
        print("written %d of %d examples" % (self.counts["written"], total))
        assert total >= _EXAMPLES // 2, self.counts
        assert self.counts["written"] >= MIN_WRITTEN * total, (
            "only %d of %d examples reached the file-writing branch" % (self.counts["written"], total))


def _run_counted(test):
    outcomes = _Outcomes()
    test(outcomes)
    outcomes.check()
    return outcomes.counts


# -- Properties --------------------------------------------------------------

def test_mac_values():
    def examples(outcomes):
        @_SETTINGS
        @given(mac=_MAC, vendor_model=_vendor_and_model())
        # Every run includes MACs YAML read as integers (bare digits, base 60).
        @example(mac=112233445566, vendor_model=_GRANDSTREAM)
        @example(mac=8846009706, vendor_model=_PANASONIC)
        def one(mac, vendor_model):
            exc, files = _attempt([_device(vendor_model, mac=mac)])
            outcomes.record(exc)
            if _is_yaml_typed(mac):
                _check_yaml_typed_refused(exc, mac, "mac")
            elif exc is not None:
                _check_refusal(exc, fields="mac")
            else:
                _check_files(files)
        one()
    _run_counted(examples)


def test_model_and_vendor_values():
    models = _mostly(_vendor_and_model(), st.tuples(st.sampled_from(sorted(_KNOWN_MODELS) + [None]), _TEXT),
                     st.tuples(st.sampled_from(sorted(_KNOWN_MODELS)), _YAML_TYPED), tenths=9)

    def examples(outcomes):
        @_SETTINGS
        @given(vendor_model=models, case=st.sampled_from([str, str.lower, str.upper]))
        @example(vendor_model=("cisco_spa", 2102), case=str)
        def one(vendor_model, case):
            vendor, model = vendor_model
            device = _device(vendor_model)
            device["model"] = case(model) if isinstance(model, str) else model
            if vendor is None:
                del device["vendor"]
            exc, files = _attempt([device])
            outcomes.record(exc)
            if _is_yaml_typed(model):
                _check_yaml_typed_refused(exc, model, "model")
            elif exc is not None:
                _check_refusal(exc)
            else:
                _check_files(files)
        one()
    _run_counted(examples)


def test_name_and_site_values():
    def examples(outcomes):
        @_SETTINGS
        @given(name=_NAME, site=_SITE, vendor_model=_vendor_and_model())
        @example(name=1234, site="berlin", vendor_model=_GRANDSTREAM)
        @example(name="desk", site=True, vendor_model=_PANASONIC)
        def one(name, site, vendor_model):
            device = _device(vendor_model, name=name)
            device["site"] = site
            sites = {site: {"language": "de"}} if isinstance(site, str) else {}
            exc, files = _attempt([device], sites=sites)
            outcomes.record(exc)
            if _is_yaml_typed(name):
                _check_yaml_typed_refused(exc, name, "name")
            if _is_yaml_typed(site):
                _check_yaml_typed_refused(exc, site, "site")
            if exc is not None:
                _check_refusal(exc, device_level=False)
            else:
                _check_files(files)
        one()
    _run_counted(examples)


def test_prefix_postfix_and_text_settings():
    names = st.sampled_from(["config_prefix", "config_postfix", "firmware_prefix", "firmware_postfix", "ntp_server",
                             "syslog_server", "admin_password", "firmware_version"])
    values = _mostly(st.one_of(_SAFE, _with_hostile_part(st.text(alphabet=_SAFE_CHARS + ".-_", min_size=1, max_size=12))),
                     _with_hostile_part(_SAFE), _TEXT, _YAML_TYPED, tenths=9)

    def examples(outcomes):
        @_SETTINGS
        @given(name=names, value=values, vendor_model=_vendor_and_model())
        @example(name="admin_password", value=511, vendor_model=_GRANDSTREAM)
        @example(name="ntp_server", value=10.5, vendor_model=_PANASONIC)
        def one(name, value, vendor_model):
            device = _device(vendor_model)
            device["settings"] = {name: value}
            exc, files = _attempt([device])
            outcomes.record(exc)
            if _is_yaml_typed(value):
                _check_yaml_typed_refused(exc, value, "settings." + name)
            elif exc is not None:
                _check_refusal(exc)
            else:
                _check_files(files)
        one()
    _run_counted(examples)


def test_line_values_stay_data():
    values = _mostly(st.one_of(_SAFE, _with_hostile_part(_SAFE)), _TEXT, _panasonic_text(), _YAML_TYPED, tenths=9)

    def examples(outcomes):
        @_SETTINGS
        @given(field=st.sampled_from(_LINE_FIELDS), value=values, vendor_model=_vendor_and_model())
        @example(field="password", value=511, vendor_model=_GRANDSTREAM)
        @example(field="extension", value=129, vendor_model=_PANASONIC)
        @example(field="auth_user", value=750, vendor_model=("cisco_mpp", _KNOWN_MODELS["cisco_mpp"][0]))
        def one(field, value, vendor_model):
            device = _device(vendor_model)
            device["lines"][0][field] = value
            exc, files = _attempt([device])
            outcomes.record(exc)
            if _is_yaml_typed(value):
                _check_yaml_typed_refused(exc, value, "lines[0].%s" % field)
            elif exc is not None:
                _check_refusal(exc, fields="lines[0].")
            else:
                _check_files(files)
        one()
    _run_counted(examples)


def test_panasonic_values_near_the_line_limit():
    panasonic_models = st.sampled_from(_KNOWN_MODELS["panasonic"]).map(lambda model: ("panasonic", model))
    places = st.sampled_from(["lines.display_name", "lines.password", "lines.auth_user", "params.VM_NUMBER_1",
                              "params.SIP_PRSNC_ADDR_1", "settings.ntp_server"])

    def examples(outcomes):
        @_SETTINGS
        @given(place=places, value=_panasonic_text(), vendor_model=panasonic_models)
        def one(place, value, vendor_model):
            device = _device(vendor_model, mac="00:80:f0:c8:c3:81")
            kind, name = place.split(".")
            if kind == "lines":
                device["lines"][0][name] = value
            else:
                device.setdefault(kind, {})[name] = value
            exc, files = _attempt([device])
            outcomes.record(exc)
            if exc is not None:
                _check_refusal(exc)
                return
            _check_files(files)
            # What is written is the value itself, on a line of its own.
            assert any(value.encode("utf-8") in content for content in files.values())
        one()
    outcomes = _Outcomes()
    examples(outcomes)
    counts = outcomes.counts
    print("written %d of %d examples" % (counts["written"], sum(counts.values())))
    # Both sides of the limits are exercised: some values are written, some refused.
    assert counts["written"] >= 0.1 * _EXAMPLES and counts["refused"] >= 0.1 * _EXAMPLES, counts


def test_grandstream_and_cisco_values_with_markup_and_macros():
    models = st.one_of(*[st.sampled_from(_KNOWN_MODELS[vendor]).map(lambda model, vendor=vendor: (vendor, model))
                         for vendor in ("grandstream", "cisco_spa", "cisco_mpp")])
    markup = st.lists(st.sampled_from(["<", ">", "&", "]]>", "<!--", "&amp;", "$MA", "$PSN", "$(id)", "'", '"',
                                       "{{ x }}", "{#", "<![CDATA[", "</P3>"]) | _SAFE, min_size=1, max_size=5).map("".join)

    def examples(outcomes):
        @_SETTINGS
        @given(field=st.sampled_from(["display_name", "password", "auth_user"]), value=markup, vendor_model=models)
        def one(field, value, vendor_model):
            device = _device(vendor_model)
            device["lines"][0][field] = value
            exc, files = _attempt([device])
            outcomes.record(exc)
            if exc is not None:
                _check_refusal(exc, fields="lines[0].")
                return
            _check_files(files)
            # The value is carried as data: some element holds it exactly.
            texts = set()
            for content in files.values():
                if content.lstrip().startswith(b"<"):
                    texts.update(element.text for element in ElementTree.fromstring(content).iter())
            if texts:
                assert value in texts, (value, vendor_model)
        one()
    _run_counted(examples)


@pytest.mark.parametrize("value", [511, 0o777, 750, 1.5, True, False])
@pytest.mark.parametrize("field", _LINE_FIELDS)
def test_yaml_typed_line_values_are_refused_for_every_vendor(field, value):
    for vendor, models in sorted(_KNOWN_MODELS.items()):
        device = _device((vendor, models[0]))
        device["lines"][0][field] = value
        exc, files = _attempt([device])
        _check_yaml_typed_refused(exc, value, "lines[0].%s" % field)
