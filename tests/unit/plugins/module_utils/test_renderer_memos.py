# Copyright (c) sipfleet.provisioning contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""What the renderers compute once (a run or a process) gives what computing it every time gave.

The golden files of every family prove the bytes; these tests prove the
memos themselves: the work is done once, an error is never kept (each
device still gets its own message), and a caller cannot spoil a kept value.
"""

from __future__ import annotations

import copy

import pytest

from ansible_collections.sipfleet.provisioning.plugins.module_utils._device_model import Device
from ansible_collections.sipfleet.provisioning.plugins.module_utils._errors import ProvisioningError
from ansible_collections.sipfleet.provisioning.plugins.module_utils._vendors import cisco_flat_profile as flat
from ansible_collections.sipfleet.provisioning.plugins.module_utils._vendors.fanvil.renderer import FanvilRenderer
from ansible_collections.sipfleet.provisioning.plugins.module_utils._vendors.grandstream import catalog
from ansible_collections.sipfleet.provisioning.plugins.module_utils._vendors.poly import renderer as poly
from ansible_collections.sipfleet.provisioning.tests.unit.plugins.module_utils import test_vendor_fanvil, test_vendor_poly


def cisco_device(label, timezone):
    return Device(label, None, "000e08aabbcc", "SPA2102", "cisco_spa", None, [], {}, {"timezone": timezone}, {})


def test_cisco_time_zone_is_parsed_once_a_text(monkeypatch):
    monkeypatch.setattr(flat, "_TIME_ZONE_PARAMS", {})
    parsed = []
    real = flat.parse_tz
    monkeypatch.setattr(flat, "parse_tz", lambda text, **kwargs: (parsed.append(text), real(text, **kwargs))[1])
    first = flat.time_zone_params(cisco_device("a", "EST5EDT,M3.2.0,M11.1.0"))
    first["Time_Zone"] = "spoiled by a caller"
    second = flat.time_zone_params(cisco_device("b", "EST5EDT,M3.2.0,M11.1.0"))
    assert second == {"Time_Zone": "GMT-05:00", "Daylight_Saving_Time_Enable": "Yes",
                      "Daylight_Saving_Time_Rule": "start=3/8/7/2;end=11/1/7/2;save=1"}
    assert parsed == ["EST5EDT,M3.2.0,M11.1.0"]


@pytest.mark.parametrize("timezone", ["XXX-0:20", "CET-1CEST,M3.5.0/25,M10.5.0/3", "Europe/Berlin/"])
def test_cisco_time_zone_errors_name_every_device(timezone):
    for label in ("desk-1", "desk-2"):
        with pytest.raises(ProvisioningError) as raised:
            flat.time_zone_params(cisco_device(label, timezone))
        assert str(raised.value).startswith("device %s, field settings.timezone: " % label)


GXP = "Grandstream template for GXP2130/GXP2135/GXP2140/GXP2160/GXP2170 firmware 1.0.11.16"


@pytest.mark.parametrize("family, name, value, reason", [
    ("gxp21xx", "P332", "3", "must be 0 or an integer from 5 to 720 (%s)" % GXP),
    ("gxp21xx", "P332", "720", None),
    ("gxp21xx", "P9", "256", "must be an integer from 0 to 255 (%s)" % GXP),
    ("gxp21xx", "P9", True, "must be an integer, not a boolean (%s)" % GXP),
    ("gxp21xx", "P9", [1], "must be a string or an integer, not list (%s)" % GXP),
    ("gxp21xx", "X1", "1", "'X1' is not a P-value name: expected P followed by digits, like P271"),
    ("gxp21xx", "P999999", "1", None),
    ("grp261x", "P21898", "80", "must be 162 or an integer from 1025 to 65535 (Grandstream template for "
                                "GRP2612/GRP2613/GRP2614/GRP2615/GRP2616 firmware 1.0.5.15)"),
])
def test_grandstream_check_param_gives_the_reasons_it_gave(family, name, value, reason):
    # Twice: the first call fills the memos, the second reads them.
    assert catalog.check_param(family, name, value) == reason
    assert catalog.check_param(family, name, value) == reason


def test_grandstream_number_specs_are_parsed_once_and_answer_as_before(monkeypatch):
    monkeypatch.setattr(catalog, "_NUMBER_ITEMS", {})
    parsed = []
    real = catalog._parse_number_items
    monkeypatch.setattr(catalog, "_parse_number_items", lambda spec: (parsed.append(spec), real(spec))[1])
    for dummy in range(3):
        assert catalog._number_items("u:0:5,9,12:14") == ((0, 5), (9, 9), (12, 14))
        assert catalog._describe_number("u:0:5,9,12:14") == (
            "must be 9 or an integer from 0 to 5 or an integer from 12 to 14")
    assert parsed == ["u:0:5,9,12:14"]


def test_grandstream_an_unknown_family_is_still_a_value_error():
    with pytest.raises(ValueError):
        catalog.check_param("no-such-family", "P271", "1")
    with pytest.raises(ValueError):
        catalog.check_param("no-such-family", "not-a-p-value", "1")


@pytest.mark.parametrize("path", ["SIP_CONFIG_MODULE.SIP_Line_List.SIP_Line_List_Entry[sip1].DTMF_Mode",
                                  "sip.line[1].DTMFMode", "a.b[x_Y].c", "plain"])
def test_fanvil_fold_keeps_what_it_folded(path):
    assert FanvilRenderer._fold(path) == FanvilRenderer._fold_path(path) == FanvilRenderer._fold(path)


def test_poly_common_params_are_built_once_a_run(monkeypatch):
    calls = []
    real = poly.RENDERER.settings_params

    def counted(settings, label, field_of, mac=None):
        calls.append(mac)
        return real(settings, label, field_of, mac)

    monkeypatch.setattr(poly.RENDERER, "settings_params", counted)
    inventory, fleet = test_vendor_poly.load(copy.deepcopy(test_vendor_poly.DEVICES), sites=test_vendor_poly.SITES)
    test_vendor_poly.render(inventory, fleet)
    # Once for the common file of the run, once a device for its own settings (validate, render).
    assert calls.count(None) == 1
    assert len(calls) == 1 + 2 * len(fleet)


def test_poly_a_bad_default_names_every_device():
    defaults = dict(test_vendor_poly.DEFAULTS, ntp_server="bad host name!")
    for raw in test_vendor_poly.DEVICES[:2]:
        with pytest.raises(ProvisioningError) as raised:
            test_vendor_poly.load([copy.deepcopy(raw)], defaults=defaults)
        assert "device %s" % raw["name"] in str(raised.value)


def test_fanvil_device_params_are_built_once_a_device(monkeypatch):
    built = []
    real = FanvilRenderer._device_params

    def counted(self, device):
        built.append(device.label)
        return real(self, device)

    monkeypatch.setattr(FanvilRenderer, "_device_params", counted)
    inventory, fleet = test_vendor_fanvil.load(copy.deepcopy(test_vendor_fanvil.DEVICES_A + test_vendor_fanvil.DEVICES_B))
    first = test_vendor_fanvil.render(inventory, fleet)
    assert sorted(built) == sorted(device.label for device in fleet)
    # A second rendering of the same run gives the same bytes from what was kept.
    assert dict((path, item.content) for path, item in test_vendor_fanvil.render(inventory, fleet).items()) == \
        dict((path, item.content) for path, item in first.items())
