# Copyright (c) sipfleet.provisioning contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

import re

import pytest

from ansible_collections.sipfleet.provisioning.plugins.module_utils._vendors.grandstream import catalog_data as data
from ansible_collections.sipfleet.provisioning.plugins.module_utils._vendors.grandstream.catalog import (
    check_param,
    describe_family,
    family_for_model,
    families,
    known_models,
    mandatory_params,
    param_spec,
)

GXP21XX = family_for_model("GXP2130")
GRP261X = family_for_model("GRP2614")
LEGACY = family_for_model("GXP2000")

_INT = r"-?[0-9]+"
SPEC = re.compile(r"s|n|e:{i}(?:,{i})*|r:{i}:{i}|u:{i}(?::{i})?(?:,{i}(?::{i})?)+".format(i=_INT))


# --- models and families ---------------------------------------------------

@pytest.mark.parametrize("models", [
    ("GXP2130", "GXP2135", "GXP2140", "GXP2160", "GXP2170"),
    ("GRP2612", "GRP2613", "GRP2614", "GRP2615", "GRP2616"),
    ("GXP2000", "GXP2020", "GXP1200", "GXP2010", "GXP280", "GXP285"),
])
def test_models_of_one_template_share_a_family(models):
    found = {family_for_model(model) for model in models}
    assert len(found) == 1
    assert None not in found


def test_the_three_templates_are_three_families():
    assert len({GXP21XX, GRP261X, LEGACY}) == 3
    assert families() == tuple(sorted({GXP21XX, GRP261X, LEGACY}))


@pytest.mark.parametrize("model, same_as", [
    ("gxp2170", "GXP2170"),
    ("Gxp2140", "GXP2140"),
    (" GRP2616 ", "GRP2616"),
    ("gxp285", "GXP285"),
])
def test_model_names_are_case_insensitive(model, same_as):
    assert family_for_model(same_as) is not None
    assert family_for_model(model) == family_for_model(same_as)


@pytest.mark.parametrize("model", ["GXP2200", "GXV3275", "GRP2601", "HT802", "GXP", "", None, 2170, "GXP 2170"])
def test_unknown_models(model):
    assert family_for_model(model) is None


def test_known_models():
    models = known_models()
    assert models == tuple(sorted(models))
    assert set(models) == {
        "GXP2130", "GXP2135", "GXP2140", "GXP2160", "GXP2170",
        "GRP2612", "GRP2613", "GRP2614", "GRP2615", "GRP2616",
        "GXP2000", "GXP2020", "GXP1200", "GXP2010", "GXP280", "GXP285",
    }
    assert all(model == model.upper() for model in models)


def test_describe_family():
    assert describe_family(GXP21XX) == "GXP2130/GXP2135/GXP2140/GXP2160/GXP2170 firmware 1.0.11.16"
    assert describe_family(GRP261X).endswith("firmware 1.0.5.15")
    assert describe_family(LEGACY).endswith("firmware 1.2.5.3")


@pytest.mark.parametrize("call", [
    lambda: check_param("gxp9999", "P271", 1),
    lambda: mandatory_params("gxp9999"),
    lambda: describe_family(None),
    lambda: param_spec("nope", "P271"),
])
def test_unknown_family_is_an_error(call):
    with pytest.raises(ValueError):
        call()


# --- values from the GXP2130/2135/2140/2160/2170 template 1.0.11.16 --------

def test_known_specs_gxp21xx():
    assert param_spec(GXP21XX, "P271") == "e:0,1"
    assert param_spec(GXP21XX, "P193") == "r:60:86400"
    assert param_spec(GXP21XX, "P212") == "e:0,1,2,3,4"
    assert param_spec(GXP21XX, "P47") == "s"
    assert param_spec(GXP21XX, "P64") == "s"
    assert param_spec(GXP21XX, "P999999") is None
    assert param_spec(GXP21XX, "p271") is None


def test_mandatory_params():
    mandatory = mandatory_params(GXP21XX)
    assert isinstance(mandatory, frozenset)
    assert "P271" in mandatory
    assert "P64" in mandatory
    assert "P193" in mandatory
    assert "P47" not in mandatory
    assert "P9" not in mandatory
    assert all(re.fullmatch(r"P[1-9][0-9]*", name) for name in mandatory)
    assert mandatory_params(LEGACY) == frozenset()


@pytest.mark.parametrize("name, value", [
    ("P271", 0),
    ("P271", 1),
    ("P271", "1"),
    ("P193", 60),
    ("P193", "86400"),
    ("P193", 10080),
    ("P212", 0),
    ("P212", "4"),
    ("P47", "sip.example.com"),
    ("P47", ""),
    ("P47", None),
    ("P47", 5060),
    ("P64", "auto"),
    ("P64", "TZA+12"),
    ("P9", ""),  # optional number (static IP octet) left empty: the phone keeps its default
    ("P9", None),
    ("P9", "255"),
])
def test_valid_values(name, value):
    assert check_param(GXP21XX, name, value) is None


@pytest.mark.parametrize("name, value, reason", [
    ("P271", 2, "must be one of 0, 1 (Grandstream template for GXP2130/GXP2135/GXP2140/GXP2160/GXP2170 firmware 1.0.11.16)"),
    ("P271", "yes", "must be one of 0, 1 ("),
    ("P271", "", "is mandatory and must not be empty ("),
    ("P271", None, "is mandatory and must not be empty ("),
    ("P271", "  ", "is mandatory and must not be empty ("),
    ("P64", "", "is mandatory and must not be empty ("),
    ("P193", "", "is mandatory and must not be empty ("),
    ("P9", 256, "must be an integer from 0 to 255 ("),
    ("P193", 59, "must be an integer from 60 to 86400 (Grandstream template for GXP2130/"),
    ("P193", "86401", "must be an integer from 60 to 86400 ("),
    ("P193", "-60", "must be an integer from 60 to 86400 ("),
    ("P193", "600.0", "must be an integer from 60 to 86400 ("),
    ("P193", " 600", "must be an integer from 60 to 86400 ("),
    ("P193", "600\n", "must be an integer from 60 to 86400 ("),
    ("P193", "+600", "must be an integer from 60 to 86400 ("),
    ("P193", "\u0666\u0660", "must be an integer from 60 to 86400 ("),  # Arabic-Indic digits are not ASCII digits
    ("P212", 5, "must be one of 0, 1, 2, 3, 4 ("),
    ("P212", -1, "must be one of 0, 1, 2, 3, 4 ("),
    ("P193", 600.0, "must be a string or an integer, not float ("),
    ("P47", ["a"], "must be a string or an integer, not list ("),
])
def test_invalid_values(name, value, reason):
    result = check_param(GXP21XX, name, value)
    assert result is not None
    assert result.startswith(reason)
    assert result.endswith("firmware 1.0.11.16)")


@pytest.mark.parametrize("name, value", [
    ("P271", True),
    ("P271", False),
    ("P193", True),
    ("P212", False),
    ("P47", True),
])
def test_booleans_are_rejected(name, value):
    result = check_param(GXP21XX, name, value)
    assert result is not None
    assert "not a boolean" in result


@pytest.mark.parametrize("name", ["p271", "271", "P", "P-1", "P0271", "P27a", "P 271", "P271 ", "P271\n", "", None, 271, "P\u0662\u0667\u0661"])
def test_invalid_names(name):
    result = check_param(GXP21XX, name, 1)
    assert result is not None
    assert "not a P-value name" in result


@pytest.mark.parametrize("family", sorted(data.FAMILIES))
@pytest.mark.parametrize("value", [1, "anything", "", True, None])
def test_unknown_p_values_are_accepted(family, value):
    assert param_spec(family, "P987654321") is None
    assert check_param(family, "P987654321", value) is None


# --- other families and spec kinds ---------------------------------------

def test_grp261x_values():
    assert check_param(GRP261X, "P271", 1) is None
    assert check_param(GRP261X, "P271", 3) is not None
    assert "GRP2612/GRP2613/GRP2614/GRP2615/GRP2616 firmware 1.0.5.15" in check_param(GRP261X, "P271", 3)
    assert "P271" in mandatory_params(GRP261X)


def test_legacy_family_records_only_stated_ranges():
    # "iLBC payload type. Between 96 and 127, default is 97."
    assert param_spec(LEGACY, "P96") == "r:96:127"
    assert check_param(LEGACY, "P96", 97) is None
    assert check_param(LEGACY, "P96", 95) is not None
    # "Layer 2 QoS. 802.1p priority value (0 - 7)"
    assert param_spec(LEGACY, "P87") == "r:0:7"
    # "Firmware Upgrade. 0 - TFTP Upgrade,  1 - HTTP Upgrade." states no type: untyped string
    assert param_spec(LEGACY, "P212") == "s"
    assert check_param(LEGACY, "P212", "2") is None


def test_union_specs():
    # "Number: 1025 - 65535. Default is 162": the template's default is accepted too
    spec = param_spec(GXP21XX, "P21898")
    assert spec == "u:162,1025:65535"
    assert check_param(GXP21XX, "P21898", 162) is None
    assert check_param(GXP21XX, "P21898", 1025) is None
    assert check_param(GXP21XX, "P21898", 65535) is None
    assert check_param(GXP21XX, "P21898", 1000) == (
        "must be 162 or an integer from 1025 to 65535 "
        "(Grandstream template for GXP2130/GXP2135/GXP2140/GXP2160/GXP2170 firmware 1.0.11.16)")


def test_union_spec_messages():
    assert param_spec(GXP21XX, "P332") == "u:0,5:720"
    assert check_param(GXP21XX, "P332", 3).startswith("must be 0 or an integer from 5 to 720 (")


def test_all_data_specs_work_with_check_param():
    for family, params in data.PARAMS.items():
        for number, spec in params.items():
            name = "P{0}".format(number)
            if spec in ("s", "n"):
                assert check_param(family, name, 12345) is None
                continue
            low = int(re.findall(_INT, spec)[0])
            assert check_param(family, name, low) is None, (family, name, spec)
            assert check_param(family, name, str(low)) is None, (family, name, spec)
            assert check_param(family, name, "x") is not None, (family, name, spec)


# --- generated data is well-formed -----------------------------------------

def test_families_are_well_formed():
    assert data.FAMILIES
    assert set(data.PARAMS) == set(data.FAMILIES) == set(data.MANDATORY)
    for family, info in data.FAMILIES.items():
        assert re.fullmatch(r"[a-z][a-z0-9_]*", family)
        assert set(info) == {"firmware", "models"}
        assert re.fullmatch(r"[0-9]+(?:\.[0-9]+)+", info["firmware"])
        assert isinstance(info["models"], tuple) and info["models"]
        assert all(isinstance(model, str) and model == model.upper() for model in info["models"])
        assert len(set(info["models"])) == len(info["models"])
    models = [model for info in data.FAMILIES.values() for model in info["models"]]
    assert len(models) == len(set(models)), "a model is in two families"


@pytest.mark.parametrize("family", sorted(data.FAMILIES))
def test_params_are_well_formed(family):
    params = data.PARAMS[family]
    assert isinstance(params, dict)
    assert len(params) > 100
    for number, spec in params.items():
        assert isinstance(number, int) and not isinstance(number, bool) and number >= 0
        assert isinstance(spec, str) and SPEC.fullmatch(spec), (number, spec)
        if spec.startswith("e:"):
            values = [int(v) for v in spec[2:].split(",")]
            assert values == sorted(set(values)), (number, spec)
        elif spec.startswith("r:"):
            low, high = (int(v) for v in spec[2:].split(":"))
            assert low < high, (number, spec)
        elif spec.startswith("u:"):
            bounds = []
            for item in spec[2:].split(","):
                parts = [int(v) for v in item.split(":")]
                assert parts == sorted(parts), (number, spec)
                bounds.append(parts)
            for before, after in zip(bounds, bounds[1:]):
                assert before[-1] + 1 < after[0], (number, spec)


@pytest.mark.parametrize("family", sorted(data.FAMILIES))
def test_mandatory_numbers_have_a_spec(family):
    mandatory = data.MANDATORY[family]
    assert isinstance(mandatory, frozenset)
    assert all(isinstance(number, int) and not isinstance(number, bool) for number in mandatory)
    assert mandatory <= set(data.PARAMS[family])
    assert mandatory_params(family) == frozenset("P{0}".format(number) for number in mandatory)


def test_data_keys_are_sorted():
    # the generator writes sorted output; the dict order shows it
    for params in data.PARAMS.values():
        assert list(params) == sorted(params)
