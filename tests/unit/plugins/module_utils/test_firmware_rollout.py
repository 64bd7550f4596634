# Copyright (c) sipfleet.provisioning contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Staged firmware rollouts: who gets which version, and errors that name the field."""

from __future__ import annotations

import copy

import pytest

from ansible_collections.sipfleet.provisioning.plugins.module_utils._errors import ProvisioningError
from ansible_collections.sipfleet.provisioning.plugins.module_utils._firmware_rollout import apply_rollout

NEW = "1.0.11.16"
OLD = "1.0.11.10"


def fleet():
    return [
        {"name": "it-desk", "mac": "00:0B:82:00:00:01", "model": "GXP2170", "site": "munich"},
        {"name": "berlin-1", "mac": "00:0B:82:00:00:02", "model": "gxp2170", "site": "berlin",
         "settings": {"language": "de"}},
        {"name": "berlin-2", "mac": "00:0B:82:00:00:03", "model": "GXP2160", "site": "berlin"},
        {"mac": "000b.8200.0004", "model": "GXP2160", "site": "munich"},
        {"name": "hamburg-1", "mac": "00:0B:82:00:00:05", "model": "GXP2170", "site": "hamburg"},
        {"name": "lobby-ata", "mac": "88:01:2B:00:00:01", "model": "SPA2102", "site": "berlin"},
    ]


def spec(**overrides):
    value = {
        "models": ["GXP2170", "gxp2160"],
        "version": NEW,
        "url": "http://prov.example.net/firmware",
        "previous_version": OLD,
        "waves": [
            {"name": "pilot", "devices": ["it-desk", "00-0b-82-00-00-04"]},
            {"name": "berlin", "sites": ["berlin"]},
            {"name": "rest", "rest": True},
        ],
        "current_wave": "pilot",
    }
    value.update(overrides)
    return value


def versions(devices):
    return {(device.get("name") or device["mac"]): (device.get("settings") or {}).get("firmware_version")
            for device in devices}


def test_waves_up_to_the_current_one_get_the_new_version():
    devices = fleet()
    assert versions(apply_rollout(devices, spec())) == {
        "it-desk": NEW, "000b.8200.0004": NEW,
        "berlin-1": OLD, "berlin-2": OLD, "hamburg-1": OLD,
        "lobby-ata": None,  # outside the rollout's models
    }
    assert versions(apply_rollout(devices, spec(current_wave="berlin"))) == {
        "it-desk": NEW, "000b.8200.0004": NEW, "berlin-1": NEW, "berlin-2": NEW,
        "hamburg-1": OLD, "lobby-ata": None,
    }
    assert set(versions(apply_rollout(devices, spec(current_wave="rest"))).values()) == {NEW, None}


def test_moving_a_wave_forward_changes_exactly_that_wave():
    devices = fleet()
    before = versions(apply_rollout(devices, spec(current_wave="pilot")))
    after = versions(apply_rollout(devices, spec(current_wave="berlin")))
    assert sorted(name for name in before if before[name] != after[name]) == ["berlin-1", "berlin-2"]


def test_url_and_other_settings():
    result = apply_rollout(fleet(), spec(previous_url="http://prov.example.net/old"))
    assert result[0]["settings"] == {"firmware_version": NEW, "firmware_url": "http://prov.example.net/firmware"}
    assert result[1]["settings"] == {"language": "de", "firmware_version": OLD, "firmware_url": "http://prov.example.net/old"}


def test_without_previous_version_later_waves_are_left_alone():
    devices = fleet()
    rollout = spec()
    del rollout["previous_version"]
    result = apply_rollout(devices, rollout)
    assert versions(result)["berlin-1"] is None
    assert all(result[i] is devices[i] for i in (1, 2, 4, 5))


def test_input_is_not_modified_and_unchanged_devices_are_not_copied():
    devices = fleet()
    devices[4]["settings"] = {"firmware_version": OLD, "firmware_url": "http://x/old"}
    devices[1]["lines"] = [{"extension": "201", "password": "secret"}]
    snapshot = copy.deepcopy(devices)
    rollout = spec(previous_url="http://x/old")
    rollout_snapshot = copy.deepcopy(rollout)
    result = apply_rollout(devices, rollout)
    assert devices == snapshot
    assert rollout == rollout_snapshot
    assert result[4] is devices[4]  # already had the previous version and URL
    assert result[5] is devices[5]  # outside the scope
    assert result[1] is not devices[1]
    assert result[1]["settings"] is not devices[1]["settings"]
    assert result[1]["lines"] is devices[1]["lines"]  # a shallow copy: only settings is new


def test_sites_and_models_of_one_wave_must_all_match():
    rollout = spec(waves=[
        {"name": "berlin-2170", "sites": ["berlin"], "models": ["gxp2170"]},
        {"name": "rest", "rest": True},
    ], current_wave="berlin-2170")
    assert versions(apply_rollout(fleet(), rollout)) == {
        "it-desk": OLD, "berlin-1": NEW, "berlin-2": OLD, "000b.8200.0004": OLD, "hamburg-1": OLD, "lobby-ata": None}


def test_a_named_device_leaves_the_filter_waves():
    rollout = spec(waves=[
        {"name": "pilot", "devices": ["berlin-1"]},
        {"name": "berlin", "sites": ["berlin"]},
    ], current_wave="pilot")
    result = versions(apply_rollout(fleet(), rollout))
    assert (result["berlin-1"], result["berlin-2"]) == (NEW, OLD)


def test_without_a_rest_wave_unselected_devices_stay_behind():
    rollout = spec(waves=[{"name": "pilot", "devices": ["it-desk"]}], current_wave="pilot")
    result = versions(apply_rollout(fleet(), rollout))
    assert result["it-desk"] == NEW
    assert result["hamburg-1"] == OLD


def test_without_models_every_device_is_in_scope():
    rollout = spec(waves=[{"name": "all", "rest": True}], current_wave="all")
    del rollout["models"]
    assert set(versions(apply_rollout(fleet(), rollout)).values()) == {NEW}


def test_devices_by_mac_in_any_form():
    for form in ("00:0b:82:00:00:05", "000B82000005", "000b.8200.0005"):
        rollout = spec(waves=[{"name": "pilot", "devices": [form]}], current_wave="pilot")
        assert versions(apply_rollout(fleet(), rollout))["hamburg-1"] == NEW


def test_a_list_of_rollouts():
    cisco = {"models": ["SPA2102"], "version": "5.2.12", "url": "http://prov.example.net/spa2102-5-2-12.bin",
             "waves": [{"name": "all", "rest": True}], "current_wave": "all"}
    result = versions(apply_rollout(fleet(), [spec(), cisco]))
    assert (result["lobby-ata"], result["it-desk"], result["berlin-1"]) == ("5.2.12", NEW, OLD)


def test_empty_fleet():
    with pytest.raises(ProvisioningError, match=r"rollout.waves\[1\].sites\[0\]: site 'berlin' selects no device"):
        apply_rollout([], spec())
    assert apply_rollout([], spec(waves=[{"name": "all", "rest": True}], current_wave="all")) == []


@pytest.mark.parametrize("overrides, field, message", [
    ({"current_wave": "pilto"}, "rollout.current_wave", "unknown wave 'pilto': must be the name of one of the waves "
                                                        "(pilot, berlin, rest)"),
    ({"current_wave": None}, "rollout.current_wave", "is required"),
    ({"version": None}, "rollout.version", "is required"),
    ({"version": 1.1}, "rollout.version", "quote the version"),
    ({"version": "1.0 beta"}, "rollout.version", "is not a firmware version"),
    ({"url": "prov.example.net/fw"}, "rollout.url", "is not a URL"),
    ({"previous_version": None, "previous_url": "http://x/old"}, "rollout.previous_url", "needs previous_version"),
    ({"waves": []}, "rollout.waves", "is required"),
    ({"wave": []}, "rollout.wave", "unknown key(s) wave"),
    ({"models": "GXP2170"}, "rollout.models", "write [GXP2170]"),
    ({"waves": [{"name": "pilot", "sites": ["berlin"]}, {"name": "pilot", "sites": ["munich"]}]},
     "rollout.waves[1].name", "wave name 'pilot' is already used by rollout.waves[0]"),
    ({"waves": [{"name": "pilot"}]}, "rollout.waves[0]", "selects nothing"),
    ({"waves": [{"name": "pilot", "site": ["berlin"]}]}, "rollout.waves[0].site", "unknown key(s) site"),
    ({"waves": [{"name": "rest", "rest": True}, {"name": "pilot", "sites": ["berlin"]}]},
     "rollout.waves[0].rest", "must be the last wave"),
    ({"waves": [{"name": "all", "rest": True, "sites": ["berlin"]}]}, "rollout.waves[0].sites", "takes no sites"),
    ({"waves": [{"name": "pilot", "models": ["SPA2102"]}]}, "rollout.waves[0].models[0]",
     "model SPA2102 is not one of the rollout's models (GXP2160, GXP2170)"),
    ({"waves": [{"name": "pilot", "sites": ["berln"]}]}, "rollout.waves[0].sites[0]", "site 'berln' selects no device"),
    ({"waves": [{"name": "pilot", "sites": ["hamburg"], "models": ["GXP2160"]}]}, "rollout.waves[0].sites[0]",
     "site 'hamburg' selects no device of models GXP2160"),
    ({"waves": [{"name": "pilot", "devices": ["it-dsk"]}]}, "rollout.waves[0].devices[0]",
     "no device in the scope has the name or MAC 'it-dsk'"),
    ({"waves": [{"name": "pilot", "devices": ["lobby-ata"]}]}, "rollout.waves[0].devices[0]",
     "device 'lobby-ata' is not in the scope of rollout (its model is SPA2102)"),
    ({"waves": [{"name": "pilot", "devices": ["it-desk"]}, {"name": "again", "devices": ["it-desk"]}]},
     "rollout.waves[1].devices[0]", "'it-desk' is already selected by rollout.waves[0].devices[0]"),
    ({"waves": [{"name": "pilot", "devices": ["00:0b:82:00:00:01"]}, {"name": "again", "devices": ["000B82000001"]}]},
     "rollout.waves[1].devices[0]", "is already selected by rollout.waves[0].devices[0]"),
    ({"waves": [{"name": "pilot", "devices": ["01:00:5e:00:00:01"]}]}, "rollout.waves[0].devices[0]",
     "a multicast MAC address"),
])
def test_errors_name_the_field(overrides, field, message):
    with pytest.raises(ProvisioningError) as excinfo:
        apply_rollout(fleet(), spec(**overrides))
    assert excinfo.value.field == field
    assert message in excinfo.value.message


def test_a_device_in_two_waves():
    rollout = spec(waves=[{"name": "berlin", "sites": ["berlin"]}, {"name": "gxp2160", "models": ["GXP2160"]}],
                   current_wave="berlin")
    with pytest.raises(ProvisioningError) as excinfo:
        apply_rollout(fleet(), rollout)
    assert str(excinfo.value) == ("device berlin-2, field rollout.waves[1]: also selected by wave 'berlin' "
                                  "(rollout.waves[0]); a device may be in one wave only")


def test_a_device_named_by_name_and_by_mac_in_two_waves():
    rollout = spec(waves=[{"name": "a", "devices": ["it-desk"]}, {"name": "b", "devices": ["00:0b:82:00:00:01"]}],
                   current_wave="a")
    with pytest.raises(ProvisioningError, match=r"device it-desk, field rollout.waves\[1\].devices\[0\]: selected by "
                                                r"its name in rollout.waves\[0\].devices\[0\] and by its MAC"):
        apply_rollout(fleet(), rollout)


def test_a_device_in_two_rollouts():
    other = spec(models=["GXP2160"], waves=[{"name": "all", "rest": True}], current_wave="all")
    with pytest.raises(ProvisioningError) as excinfo:
        apply_rollout(fleet(), [spec(), other])
    assert (excinfo.value.device, excinfo.value.field) == ("berlin-2", "rollout[1].models")
    assert "also in the scope of rollout[0]" in excinfo.value.message


def test_bad_devices():
    with pytest.raises(ProvisioningError, match="field sipfleet_devices: must be a list of devices, got a mapping"):
        apply_rollout({}, spec())
    with pytest.raises(ProvisioningError, match=r"field sipfleet_devices\[1\]: must be a mapping, got a string"):
        apply_rollout([fleet()[0], "desk"], spec())
    bad = fleet()
    bad[1]["settings"] = ["firmware_version"]
    with pytest.raises(ProvisioningError, match="device berlin-1, field settings: must be a mapping of settings"):
        apply_rollout(bad, spec())


def test_url_credentials_are_not_shown():
    with pytest.raises(ProvisioningError) as excinfo:
        apply_rollout(fleet(), spec(url="http://admin:Secret-1@prov.example.net/a b"))
    assert "Secret-1" not in str(excinfo.value)


def test_a_large_fleet_is_split_by_wave():
    models = ["GXP2170", "GXP2160", "SPA2102", "KX-UT133"]
    devices = [{"name": "desk-%d" % i, "mac": "00:0b:82:%02x:%02x:%02x" % (i >> 16, (i >> 8) & 255, i & 255),
                "model": models[i % 4], "site": "site%d" % (i % 50), "settings": {"language": "de"}}
               for i in range(5000)]
    rollout = spec(waves=[
        {"name": "pilot", "devices": ["desk-0", "00:0b:82:00:00:05"]},
        {"name": "first", "sites": ["site%d" % i for i in range(10)]},
        {"name": "second", "sites": ["site%d" % i for i in range(10, 30, 2)], "models": ["GXP2170"]},
        {"name": "rest", "rest": True},
    ], current_wave="first")
    result = apply_rollout(devices, rollout)
    assert sum(1 for device in result if device["settings"].get("firmware_version") == NEW) == 500
