# Copyright (c) sipfleet.provisioning contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The phone_profiles run on real directories: idempotence, pruning, check mode, diff, bootstrap windows."""

from __future__ import annotations

import copy
import hashlib
import json
import os
import stat
from pathlib import Path

import pytest

from ansible_collections.sipfleet.provisioning.plugins.module_utils._errors import ProvisioningError
from ansible_collections.sipfleet.provisioning.plugins.module_utils._fetch_log import (
    closed_windows,
    http_fetches,
    merge_fetched,
    parse_iso_time,
    recorded,
    tftp_fetches,
)
from ansible_collections.sipfleet.provisioning.plugins.module_utils._key_store import (
    empty_store,
    key_id,
    new_key,
    reconcile,
)
from ansible_collections.sipfleet.provisioning.plugins.module_utils._phone_profiles import (
    ARGUMENT_SPEC,
    load_bootstrap_state,
    option_values,
    run,
)
from ansible_collections.sipfleet.provisioning.plugins.module_utils._profile_diff import raw_secrets, redact
from ansible_collections.sipfleet.provisioning.plugins.module_utils._profile_writer import TEMP_PREFIX
from ansible_collections.sipfleet.provisioning.plugins.module_utils._fleet import load_fleet, renderer_for
from ansible_collections.sipfleet.provisioning.tests.unit import openssl_cli

SIP_PASSWORDS = ["gs-Secret-201", "spa&Secret<202>", "mpp-Secret-203", "pana-Secret-204"]
ADMIN_PASSWORD = "AdminSecret999"
DEFAULTS = {
    "sip_server": "pbx.example.net",
    "timezone": "CET-1CEST,M3.5.0,M10.5.0/3",
    "admin_password": ADMIN_PASSWORD,
    "provisioning_url": "http://prov.example.net",
    "resync_interval": 60,
}


def devices():
    return [
        {"name": "gs", "mac": "00:0b:82:12:34:56", "model": "GXP2170",
         "lines": [{"extension": "201", "password": SIP_PASSWORDS[0]}]},
        {"name": "spa", "mac": "88:01:2b:a0:12:34", "model": "SPA2102",
         "lines": [{"extension": "202", "password": SIP_PASSWORDS[1]}]},
        {"name": "mpp", "mac": "00:56:2b:04:36:15", "model": "ATA192",
         "lines": [{"extension": "203", "password": SIP_PASSWORDS[2]}]},
        {"name": "pana", "mac": "00:80:f0:c8:c3:81", "model": "KX-UTG300",
         "lines": [{"extension": "204", "password": SIP_PASSWORDS[3]}]},
    ]


def store_keys(device_list):
    dummy, fleet = load_fleet(device_list, DEFAULTS)
    wanted = dict((device.mac, renderer_for(device).key_specs(device)) for device in fleet)
    return reconcile(empty_store(), dict((m, s) for m, s in wanted.items() if s)).keys


@pytest.fixture(name="env")
def env_fixture(tmp_path):
    root = tmp_path / "root"
    state = tmp_path / "state"
    device_list = devices()
    params = {
        "devices": device_list, "defaults": dict(DEFAULTS), "sites": {}, "models": {},
        "keys": store_keys(device_list), "roots": [str(root)], "state_dir": str(state),
        "bootstrap_serve": "always",
    }
    return params, root


def snapshot(root):
    """``{relative path: (mtime_ns, bytes)}`` of every file under ``root``."""
    result = {}
    for directory, dummy, names in os.walk(root):
        for name in names:
            path = os.path.join(directory, name)
            with open(path, "rb") as handle:
                result[os.path.relpath(path, root)] = (os.stat(path).st_mtime_ns, handle.read())
    return result


def test_first_run_writes_then_rerun_changes_nothing(env):
    params, root = env
    first = run(params)
    assert first["changed"] and first["written"] == first["files"] > 4 and first["unchanged"] == 0
    assert sorted(first["changed_devices"]) == ["gs", "mpp", "pana", "spa"]
    before = snapshot(root)
    second = run(copy.deepcopy(params))
    assert not second["changed"]
    assert second["written"] == second["pruned"] == 0 and second["unchanged"] == first["files"]
    assert second["changed_devices"] == [] and second["changed_shared_files"] == []
    assert snapshot(root) == before
    assert not [name for name in before if os.path.basename(name).startswith(TEMP_PREFIX)]


def test_modes_secret_files_are_not_world_readable(env):
    params, root = env
    run(params)
    for path in snapshot(root):
        mode = stat.S_IMODE(os.stat(os.path.join(root, path)).st_mode)
        assert mode in (0o640, 0o644), (path, oct(mode))
    # The Panasonic key file carries the key in plain text: 0640.
    assert stat.S_IMODE(os.stat(os.path.join(root, "Config0080F0C8C381.cfg")).st_mode) == 0o640


def test_encrypted_profile_decrypts_with_openssl_cli(env):
    params, root = env
    run(params)
    key = params["keys"]["000b82123456"]["p1359"]
    code, plaintext, err = openssl_cli.dec((root / "cfg000b82123456.xml").read_bytes(), password=key, digest="md5")
    assert code == 0, err
    assert b"<P35>201</P35>" in plaintext


def test_one_device_change_rewrites_only_its_files(env):
    params, root = env
    run(params)
    before = snapshot(root)
    params["devices"][1]["lines"][0]["display_name"] = "Moved desk"
    result = run(params)
    assert result["changed"] and result["changed_devices"] == ["spa"]
    after = snapshot(root)
    changed = sorted(path for path in after if after[path] != before.get(path))
    assert changed and all("spa" in path or "88012ba01234" in path.lower() or "profile/" in path for path in changed)
    for path in before:
        if path not in changed:
            assert after[path][0] == before[path][0], "%s was rewritten" % path


def test_removed_device_is_pruned_and_foreign_files_are_kept(env):
    params, root = env
    run(params)
    (root / "firmware.bin").write_bytes(b"not ours")
    gs_files = [path for path in snapshot(root) if "000b82123456" in path]
    assert gs_files
    params["devices"] = [device for device in params["devices"] if device["name"] != "gs"]
    result = run(params)
    assert result["pruned"] == len(gs_files) and result["changed_devices"] == ["gs"]
    remaining = snapshot(root)
    assert not [path for path in remaining if "000b82123456" in path]
    assert remaining["firmware.bin"][1] == b"not ours"


def test_a_pruned_file_changed_by_someone_else_is_kept(env):
    params, root = env
    run(params)
    (root / "cfg000b82123456.xml").write_bytes(b"edited by hand")
    params["devices"] = params["devices"][1:]
    result = run(params)
    assert (root / "cfg000b82123456.xml").read_bytes() == b"edited by hand"
    assert result["kept_foreign_files"] == [str(root / "cfg000b82123456.xml")]


def test_check_mode_writes_nothing_and_reports_the_change(env):
    params, root = env
    result = run(params, check_mode=True)
    assert result["changed"] and result["written"] > 0
    assert not root.exists() or snapshot(root) == {}
    run(params)
    before = snapshot(root)
    params["devices"][0]["lines"][0]["display_name"] = "Changed"
    checked = run(params, check_mode=True)
    assert checked["changed"] and checked["changed_devices"] == ["gs"]
    assert snapshot(root) == before


def test_diff_shows_decrypted_text_and_no_secret(env):
    params, root = env
    run(params)
    params["devices"][0]["lines"][0]["display_name"] = "Reception"
    params["devices"][1]["lines"][0]["display_name"] = "Lobby"
    result = run(params, check_mode=True, want_diff=True)
    text = repr(result["diff"])
    assert "Reception" in text and "Lobby" in text
    secrets = SIP_PASSWORDS + [ADMIN_PASSWORD] + [v for keys in params["keys"].values() for v in keys.values()]
    for secret in secrets:
        assert secret not in text
        assert secret.upper() not in text
    assert "spa&amp;Secret&lt;202&gt;" not in text
    assert "********" in text


def test_diff_is_capped(env):
    params, root = env
    params["diff_max_bytes"] = 100
    params["diff_max_files"] = 2
    result = run(params, check_mode=True, want_diff=True)
    assert len(result["diff"]) == 3
    assert "more changed files not shown" in result["diff"][-1]["after"]
    assert all(len(item["after"].encode()) < 200 for item in result["diff"][:2])


def test_bad_device_fails_before_anything_is_written(env):
    params, root = env
    run(params)
    before = snapshot(root)
    params["devices"][0]["lines"][0]["display_name"] = "Changed"
    params["devices"].append({"name": "broken", "mac": "00:0b:82:zz:00:01", "model": "GXP2170"})
    with pytest.raises(ProvisioningError) as info:
        run(params)
    assert info.value.device == "broken" and info.value.field == "mac"
    assert snapshot(root) == before


def test_missing_key_names_device_and_key(env):
    params, root = env
    del params["keys"]["0080f0c8c381"]
    with pytest.raises(ProvisioningError) as info:
        run(params)
    assert info.value.device == "pana" and info.value.field == "keys.cfg_file_key"
    assert not root.exists()


def test_inventory_keys_win_over_the_store(env):
    params, root = env
    own = "ab" * 32
    params["devices"][0]["keys"] = {"p1359": own}
    run(params)
    code, plaintext, err = openssl_cli.dec((root / "cfg000b82123456.xml").read_bytes(), password=own, digest="md5")
    assert code == 0, err


def test_two_roots_get_the_same_files(env, tmp_path):
    params, root = env
    other = tmp_path / "http"
    params["roots"].append(str(other))
    params["roots"].append(str(root) + "/")
    result = run(params)
    assert len(result["roots"]) == 2
    first = dict((path, data) for path, (mtime, data) in snapshot(root).items())
    second = dict((path, data) for path, (mtime, data) in snapshot(other).items())
    assert first == second


def test_leftover_temporary_files_of_a_killed_run_are_removed(env):
    params, root = env
    run(params)
    # What a run killed while staging leaves: the journal it wrote first, a
    # complete and a partial temporary file of its token, a temporary file of
    # the state directory's own writes. Another token's file is not its own.
    leftovers = [root / (TEMP_PREFIX + "cfg.xml.0123abcd"), root / "sub" / (TEMP_PREFIX + "x.cfg.0123abcd"),
                 Path(params["state_dir"]) / (TEMP_PREFIX + "k2j3h4")]
    foreign = root / (TEMP_PREFIX + "cfg.xml.ffffffff")
    (root / "sub").mkdir()
    for path in leftovers + [foreign]:
        path.write_bytes(b"half")
    with open(os.path.join(params["state_dir"], "in-progress.json"), "w") as handle:
        json.dump({"token": "0123abcd", "directories": [str(root), str(root / "sub")]}, handle)
    params["devices"][0]["lines"][0]["display_name"] = "Changed"
    run(params)
    assert [path for path in leftovers if path.exists()] == []
    assert foreign.exists()
    assert not os.path.exists(os.path.join(params["state_dir"], "in-progress.json"))


def test_leftover_temporary_files_of_the_earlier_journal_format_are_removed(env):
    params, root = env
    run(params)
    leftover = root / (TEMP_PREFIX + "cfg.xml.abc")
    leftover.write_bytes(b"half")
    with open(os.path.join(params["state_dir"], "in-progress.json"), "w") as handle:
        handle.write('["%s"]' % leftover)
    params["devices"][0]["lines"][0]["display_name"] = "Changed"
    run(params)
    assert not leftover.exists()


def test_bootstrap_window_closes_once_fetched(env):
    params, root = env
    params["bootstrap_serve"] = "window"
    result = run(params, now=1000)
    carrier = root / "Config0080F0C8C381.cfg"
    assert carrier.exists() and "pana" in result["bootstrap"]["open"]
    keys = params["keys"]["0080f0c8c381"]
    params["bootstrap_fetched"] = {"00:80:f0:c8:c3:81": [key_id(keys)]}
    closed = run(params, now=2000)
    assert closed["bootstrap"]["closed"] == ["pana"] and "pana" in closed["changed_devices"]
    # The key file is replaced by the encrypted profile (seed 004 step 3), which stays at its own name too.
    assert carrier.read_bytes() == (root / "Config0080F0C8C381.enc").read_bytes()
    again = run(params, now=3000)
    assert not again["changed"] and "pana" not in again["bootstrap"]["open"]


def test_bootstrap_window_expires_unused_and_new_keys_reopen_it(env):
    params, root = env
    params["bootstrap_serve"] = "window"
    params["bootstrap_window"] = 10
    run(params, now=0)
    expired = run(params, now=601 + 0)
    assert "pana" in expired["bootstrap"]["expired"]
    assert (root / "Config0080F0C8C381.cfg").read_bytes() == (root / "Config0080F0C8C381.enc").read_bytes()
    params["keys"]["0080f0c8c381"] = {"cfg_file_key": "cd" * 16}
    reopened = run(params, now=700)
    assert "pana" in reopened["bootstrap"]["open"]
    assert b"cdcd" in (root / "Config0080F0C8C381.cfg").read_bytes()


def test_bootstrap_never_serves_no_key_carrier(env):
    params, root = env
    params["bootstrap_serve"] = "never"
    run(params)
    assert b"CFG_FILE_KEY" not in (root / "Config0080F0C8C381.cfg").read_bytes()
    assert (root / "Config0080F0C8C381.cfg").read_bytes() == (root / "Config0080F0C8C381.enc").read_bytes()


def test_bad_options_name_their_field(env, tmp_path):
    params, root = env
    for name, value in (("secret_mode", "0644"), ("mode", "rw"), ("owner", "no-such-user-here"),
                        ("roots", ["relative/path"]), ("bootstrap_window", -1)):
        bad = dict(params, **{name: value})
        with pytest.raises(ProvisioningError) as info:
            run(bad)
        assert info.value.field == name
    (tmp_path / "file").write_bytes(b"")
    with pytest.raises(ProvisioningError):
        run(dict(params, roots=[str(tmp_path / "file")]))


def test_raw_secrets_cover_passwords_keys_and_secret_params():
    device_list = devices()
    device_list[0]["params"] = {"P1361": "http-pass", "P35": "201"}
    secrets = raw_secrets(device_list, DEFAULTS, {"berlin": {"admin_password": "site-admin"}}, {},
                          {"000b82123456": {"p1359": "k" * 64}})
    assert set(SIP_PASSWORDS + [ADMIN_PASSWORD, "http-pass", "site-admin", "k" * 64]) <= secrets
    assert "201" not in secrets
    # A password YAML read as a number is refused, and its error may quote it.
    device_list[2]["lines"][0]["password"] = 12.5
    assert "12.5" in raw_secrets(device_list)
    assert redact("user=201&pw=http-pass&x=spa%26Secret%3C202%3E", sorted(secrets, key=len, reverse=True)) == \
        "user=201&pw=********&x=********"


def decrypt_cli(data, key, digest="md5", base64_armor=False):
    code, plaintext, err = openssl_cli.dec(data, password=key, digest=digest, base64_armor=base64_armor)
    assert code == 0, err
    return plaintext


def rotation_env(env):
    params, root = env
    run(params, now=0)
    old = copy.deepcopy(params["keys"])
    store = empty_store()
    for mac, keys in old.items():
        store["devices"][mac] = dict(keys)
    wanted = dict((mac, dict((name, len(value) // 2) for name, value in keys.items())) for mac, keys in old.items())
    # The phones fetched their bootstraps (the logs showed it): only then may a rotation start.
    started = reconcile(store, wanted, rotate=list(old),
                        fetched=dict((mac, [key_id(keys)]) for mac, keys in old.items()))
    assert started.keys == old and sorted(started.next_keys) == sorted(old)
    params["next_keys"] = started.next_keys
    params["bootstrap_delivered"] = started.delivered
    return params, root, store, wanted, old, started.next_keys


def test_rotation_grandstream_new_key_inside_the_profile_the_phone_can_read(env):
    params, root, store, wanted, old, new = rotation_env(env)
    mac = "000b82123456"
    result = run(params, now=10)
    assert "gs" in result["rotation"]["pending"]
    # Step 1: still decryptable with the key the phone has, and it carries the new one.
    handover = decrypt_cli((root / "cfg000b82123456.xml").read_bytes(), old[mac]["p1359"])
    assert ("<P1359>%s</P1359>" % new[mac]["p1359"]).encode() in handover
    # No plain bootstrap is served during a rotation.
    assert not (root / "cfg000b82123456").exists()
    # Step 2: the phone proved it has the new key; from now on the new key only.
    params["bootstrap_proven"] = {mac: [key_id(new[mac])]}
    finished = run(params, now=20)
    assert "gs" in finished["rotation"]["finished"] and "gs" in finished["changed_devices"]
    assert b"<P35>201</P35>" in decrypt_cli((root / "cfg000b82123456.xml").read_bytes(), new[mac]["p1359"])
    code, dummy, dummy2 = openssl_cli.dec((root / "cfg000b82123456.xml").read_bytes(), password=old[mac]["p1359"],
                                          digest="md5")
    assert code != 0 or b"<P35>" not in dummy


def test_rotation_cisco_new_key_and_directory_from_the_old_directory(env):
    params, root, store, wanted, old, new = rotation_env(env)
    mac = "88012ba01234"
    params["bootstrap_serve"] = "window"
    run(params, now=10)
    old_file = root / "profile" / old[mac]["gpp_b"] / "spa2102.cfg"
    new_file = root / "profile" / new[mac]["gpp_b"] / "spa2102.cfg"
    handover = decrypt_cli(old_file.read_bytes(), old[mac]["gpp_a"]).decode()
    assert '<GPP_A ua="na">%s</GPP_A>' % new[mac]["gpp_a"] in handover
    assert '<GPP_B ua="na">%s</GPP_B>' % new[mac]["gpp_b"] in handover
    assert "--key $A" in handover
    assert "spa&amp;Secret&lt;202&gt;" in decrypt_cli(new_file.read_bytes(), new[mac]["gpp_a"]).decode()
    assert not (root / "spa88012ba01234.xml").exists()
    params["bootstrap_proven"] = {mac: [key_id(new[mac])]}
    run(params, now=20)
    assert not old_file.exists() and not old_file.parent.exists()
    assert new_file.exists() and not (root / "spa88012ba01234.xml").exists()


def test_rotation_panasonic_new_plain_key_file_then_new_encryption(env):
    params, root, store, wanted, old, new = rotation_env(env)
    mac = "0080f0c8c381"
    params["bootstrap_serve"] = "window"
    run(params, now=10)
    key_file = (root / "Config0080F0C8C381.cfg").read_bytes()
    assert new[mac]["cfg_file_key"].encode() in key_file and old[mac]["cfg_file_key"].encode() not in key_file
    profile = decrypt_cli((root / "Config0080F0C8C381.enc").read_bytes(), new[mac]["cfg_file_key"], base64_armor=True)
    assert b"pana-Secret-204" in profile
    params["bootstrap_proven"] = {mac: [key_id(new[mac])]}
    finished = run(params, now=20)
    assert "pana" in finished["rotation"]["finished"]
    assert (root / "Config0080F0C8C381.cfg").read_bytes() == (root / "Config0080F0C8C381.enc").read_bytes()


def test_rotation_finishes_in_the_store_and_the_next_run_changes_nothing(env):
    params, root, store, wanted, old, new = rotation_env(env)
    run(params, now=10)
    params["bootstrap_proven"] = dict((mac, [key_id(keys)]) for mac, keys in new.items())
    run(params, now=20)
    promoted = reconcile(store, wanted, promote=params["bootstrap_proven"])
    assert sorted(promoted.promoted) == sorted(new) and promoted.keys == new and promoted.next_keys == {}
    params["keys"] = promoted.keys
    params["next_keys"] = {}
    again = run(params, now=30)
    assert not again["changed"], again


def test_rotation_diff_masks_old_and_new_keys(env):
    params, root, store, wanted, old, new = rotation_env(env)
    result = run(params, check_mode=True, want_diff=True, now=10)
    text = repr(result["diff"])
    for keys in list(old.values()) + list(new.values()):
        for value in keys.values():
            assert value not in text and value.upper() not in text
    assert "********" in text


# -- rotation evidence, delivered keys, re-bootstrap ---------------------------

LOG_TIME = "2026-11-21T10:05:00+00:00"
T0 = int(parse_iso_time("2026-11-21T10:00:00+00:00"))


def fetches(params, http=(), tftp=()):
    """What provisioning_fetches reports from these log lines against the run's own state: ``(fetched, proven)``."""
    state = load_bootstrap_state(params["state_dir"])
    fetched, proven, dummy = http_fetches(list(http), state)
    tftp_fetched, tftp_proven = tftp_fetches(list(tftp), state, now=T0 + 86400)
    old_fetched, old_proven = recorded(state)
    proven = merge_fetched(old_proven, proven, tftp_proven)
    return merge_fetched(old_fetched, proven, fetched, tftp_fetched), proven


def access_line(root, path, agent="", verify="NONE", client_mac="", when=LOG_TIME, client="10.99.0.2"):
    return json.dumps({"time": when, "remote_addr": client, "path": "/" + path, "status": 200,
                       "bytes": os.path.getsize(os.path.join(str(root), path)), "user_agent": agent,
                       "ssl_client_verify": verify, "client_mac": client_mac})


def test_an_anonymous_fetch_of_the_grandstream_handover_does_not_finish_the_rotation(env):
    params, root, store, wanted, old, new = rotation_env(env)
    mac = "000b82123456"
    run(params, now=T0)
    # What a curl of the handover leaves in the access log: complete, no MAC, no certificate.
    params["bootstrap_fetched"], params["bootstrap_proven"] = fetches(
        params, http=[access_line(root, "cfg000b82123456.xml", agent="curl/8.5.0", client="203.0.113.9")])
    assert params["bootstrap_fetched"].get(mac) == [key_id(new[mac])]
    assert mac not in params["bootstrap_proven"]
    result = run(params, now=T0 + 600)
    assert "gs" in result["rotation"]["pending"] and "gs" not in result["rotation"]["finished"]
    # The phone, rebooting later, still decrypts what it is served with the key it has.
    handover = decrypt_cli((root / "cfg000b82123456.xml").read_bytes(), old[mac]["p1359"])
    assert ("<P1359>%s</P1359>" % new[mac]["p1359"]).encode() in handover
    # The phone's own User-Agent is no proof either: anyone can send it.
    params["bootstrap_fetched"], params["bootstrap_proven"] = fetches(params, http=[access_line(
        root, "cfg000b82123456.xml", agent="Grandstream Model HW GXP2170 SW 1.0.11.3 DevId 000b82123456")])
    assert "gs" in run(params, now=T0 + 700)["rotation"]["pending"]


def test_a_fetch_authenticated_by_the_devices_client_certificate_finishes_the_rotation(env):
    params, root, store, wanted, old, new = rotation_env(env)
    mac = "000b82123456"
    run(params, now=T0)
    params["bootstrap_fetched"], params["bootstrap_proven"] = fetches(params, http=[access_line(
        root, "cfg000b82123456.xml", agent="Grandstream Model HW GXP2170 SW 1.0.11.3 DevId 000b82123456",
        verify="SUCCESS", client_mac="00:0b:82:12:34:56")])
    assert params["bootstrap_proven"] == {mac: [key_id(new[mac])]}
    result = run(params, now=T0 + 600)
    assert result["rotation"]["finished"] == ["gs"] and "gs" not in result["rotation"]["pending"]
    assert b"<P35>201</P35>" in decrypt_cli((root / "cfg000b82123456.xml").read_bytes(), new[mac]["p1359"])
    # Recorded on this host: the next run keeps it finished without the log line.
    params["bootstrap_fetched"], params["bootstrap_proven"] = fetches(params)
    assert params["bootstrap_proven"] == {mac: [key_id(new[mac])]}


def test_a_certificate_of_another_device_does_not_finish_the_rotation(env):
    params, root, store, wanted, old, new = rotation_env(env)
    run(params, now=T0)
    params["bootstrap_fetched"], params["bootstrap_proven"] = fetches(params, http=[access_line(
        root, "cfg000b82123456.xml", verify="SUCCESS", client_mac="000b82999999",
        agent="Grandstream Model HW GXP2170 SW 1.0.11.3 DevId 000b82123456")])
    assert params["bootstrap_proven"] == {}
    assert "gs" in run(params, now=T0 + 600)["rotation"]["pending"]


def test_a_fetch_from_the_new_cisco_gpp_b_directory_finishes_the_rotation(env):
    params, root, store, wanted, old, new = rotation_env(env)
    mac = "88012ba01234"
    params["bootstrap_serve"] = "window"
    run(params, now=T0)
    old_file = "profile/%s/spa2102.cfg" % old[mac]["gpp_b"]
    new_file = "profile/%s/spa2102.cfg" % new[mac]["gpp_b"]
    # The handover in the old directory, fetched over TFTP (no proof of who fetched it): still pending.
    params["bootstrap_fetched"], params["bootstrap_proven"] = fetches(
        params, tftp=["Nov 21 10:05:00 prov in.tftpd[7]: RRQ from 10.99.0.3 filename /" + old_file])
    assert params["bootstrap_fetched"] == {mac: [key_id(new[mac])]} and params["bootstrap_proven"] == {}
    pending = run(params, now=T0 + 600)
    assert "spa" in pending["rotation"]["pending"] and (root / old_file).exists()
    # Then the phone follows the new GPP_B: only a phone holding it knows that path.
    params["bootstrap_fetched"], params["bootstrap_proven"] = fetches(
        params, tftp=["Nov 21 10:10:00 prov in.tftpd[7]: RRQ from 10.99.0.3 filename /" + new_file])
    assert params["bootstrap_proven"] == {mac: [key_id(new[mac])]}
    finished = run(params, now=T0 + 1200)
    assert "spa" in finished["rotation"]["finished"]
    assert not (root / old_file).exists() and (root / new_file).exists()
    # The phone has these keys: no plain initial profile carrying them is served again.
    assert not (root / "spa88012ba01234.xml").exists()


def serves_panasonic_key_file(root):
    """Whether Config<MAC>.cfg is the plain key file; once the window closes it is the encrypted profile."""
    served = (root / "Config0080F0C8C381.cfg").read_bytes()
    if b"CFG_FILE_KEY=" in served:
        return True
    assert served == (root / "Config0080F0C8C381.enc").read_bytes()
    return False


def test_delivered_keys_close_the_window_with_an_empty_state_directory(env):
    params, root = env
    params["bootstrap_serve"] = "window"
    mac = "0080f0c8c381"
    params["bootstrap_delivered"] = {"00:80:F0:C8:C3:81": [key_id(params["keys"][mac])]}
    result = run(params, now=T0)
    assert result["bootstrap"]["closed"] == ["pana"] and "pana" not in result["bootstrap"]["open"]
    assert not serves_panasonic_key_file(root)
    assert (root / "Config0080F0C8C381.enc").exists()
    # The other devices' windows, not delivered, are open.
    assert (root / "cfg000b82123456").exists() and (root / "spa88012ba01234.xml").exists()
    state = load_bootstrap_state(params["state_dir"])
    assert state["devices"][mac]["reason"] == "delivered"
    # Another key id delivered does not close the window of this one.
    params["keys"][mac] = {"cfg_file_key": "cd" * 16}
    assert "pana" in run(params, now=T0 + 60)["bootstrap"]["open"]


def test_rebootstrap_reopens_a_delivered_window_until_a_later_fetch(env):
    params, root = env
    params["bootstrap_serve"] = "window"
    mac = "0080f0c8c381"
    carrier = root / "Config0080F0C8C381.cfg"
    delivered = {mac: [key_id(params["keys"][mac])]}
    params["bootstrap_delivered"] = delivered
    run(params, now=T0)
    assert not serves_panasonic_key_file(root)
    # The phone lost its key. The fetch of long ago, still in the logs, does not close the new window.
    params["rebootstrap"] = ["00-80-f0-c8-c3-81"]
    params["bootstrap_fetched"] = delivered
    reopened = run(params, now=T0 + 3600)
    assert reopened["bootstrap"]["reopened"] == ["pana"] and "pana" in reopened["bootstrap"]["open"]
    assert params["keys"][mac]["cfg_file_key"].encode() in carrier.read_bytes()
    # Later runs without the request: the key store still lists the key as delivered; the window stays open.
    params["rebootstrap"] = []
    params["bootstrap_fetched"], params["bootstrap_proven"] = fetches(params, http=[access_line(
        root, "Config0080F0C8C381.cfg", agent="Panasonic_KX-UT133/01.133 (0080f0c8c381)",
        when="2026-11-21T10:30:00+00:00")])
    assert params["bootstrap_fetched"] == {}
    kept = run(params, now=T0 + 7200)
    assert "pana" in kept["bootstrap"]["open"] and serves_panasonic_key_file(root)
    # The phone fetches it after the re-opening: closed again.
    params["bootstrap_fetched"], params["bootstrap_proven"] = fetches(params, http=[access_line(
        root, "Config0080F0C8C381.cfg", agent="Panasonic_KX-UT133/01.133 (0080f0c8c381)",
        when="2026-11-21T12:30:00+00:00")])
    closed = run(params, now=T0 + 9000)
    assert closed["bootstrap"]["closed"] == ["pana"] and not serves_panasonic_key_file(root)


def test_rebootstrap_during_a_rotation_serves_the_current_keys_then_the_handover(env):
    params, root, store, wanted, old, new = rotation_env(env)
    mac = "000b82123456"
    params["bootstrap_serve"] = "window"
    run(params, now=T0)
    assert not (root / "cfg000b82123456").exists()
    params["rebootstrap"] = [mac]
    held = run(params, now=T0 + 60)
    assert "gs" in held["rotation"]["pending"] and held["bootstrap"]["reopened"] == ["gs"]
    # A factory-reset phone gets its current key in the plain bootstrap, and a profile it decrypts with it.
    assert old[mac]["p1359"].encode() in (root / "cfg000b82123456").read_bytes()
    assert b"<P35>201</P35>" in decrypt_cli((root / "cfg000b82123456.xml").read_bytes(), old[mac]["p1359"])
    params["rebootstrap"] = []
    assert (root / "cfg000b82123456").exists() and "gs" in run(params, now=T0 + 120)["bootstrap"]["open"]
    params["bootstrap_fetched"], params["bootstrap_proven"] = fetches(
        params, tftp=["Nov 21 10:05:00 prov in.tftpd[7]: RRQ from 10.99.0.3 filename cfg000b82123456"])
    resumed = run(params, now=T0 + 600)
    assert "gs" in resumed["rotation"]["pending"] and not (root / "cfg000b82123456").exists()
    handover = decrypt_cli((root / "cfg000b82123456.xml").read_bytes(), old[mac]["p1359"])
    assert ("<P1359>%s</P1359>" % new[mac]["p1359"]).encode() in handover


def test_a_rotation_not_proven_within_the_stall_days_is_reported_stalled(env):
    params, root, store, wanted, old, new = rotation_env(env)
    day = 86400
    first = run(params, now=T0)
    assert first["rotation"]["stalled"] == []
    params["bootstrap_fetched"], params["bootstrap_proven"] = fetches(
        params, http=[access_line(root, "cfg000b82123456.xml", agent="curl/8.5.0")])
    assert run(params, now=T0 + 13 * day)["rotation"]["stalled"] == []
    late = run(params, now=T0 + 14 * day + 1)
    assert late["rotation"]["stalled"] == ["gs", "mpp", "pana", "spa"]
    params["rotation_stall_days"] = 30
    assert run(params, now=T0 + 14 * day + 2)["rotation"]["stalled"] == []
    # Measured from when the handover was first served, not from the last run.
    params["rotation_stall_days"] = 14
    params["bootstrap_proven"] = {"00:0b:82:12:34:56": [key_id(new["000b82123456"])]}
    done = run(params, now=T0 + 15 * day)
    assert "gs" in done["rotation"]["finished"] and done["rotation"]["stalled"] == ["mpp", "pana", "spa"]


def test_bad_evidence_options_name_their_field(env):
    params, root = env
    for name, value in (("bootstrap_delivered", ["000b82123456"]), ("bootstrap_proven", {"zz": ["1"]}),
                        ("bootstrap_fetched", {"000b82123456": 5}), ("rebootstrap", "000b82123456"),
                        ("rebootstrap", ["not-a-mac"]), ("rotation_stall_days", -1)):
        with pytest.raises(ProvisioningError) as info:
            run(dict(params, **{name: value}))
        assert info.value.field == name, (name, value)


def store_of(keys):
    """A key store holding ``keys`` and what reconcile wants for them."""
    store = empty_store()
    for mac, values in keys.items():
        store["devices"][mac] = dict(values)
    wanted = dict((mac, dict((name, len(value) // 2) for name, value in values.items())) for mac, values in keys.items())
    return store, wanted


def test_a_window_closed_by_expiry_stays_closed_on_a_new_host_until_rebootstrap(env, tmp_path):
    params, root = env
    params.update(bootstrap_serve="window", bootstrap_window=1)
    mac = "000b82123456"
    assert "gs" in run(params, now=T0)["bootstrap"]["open"]
    assert "gs" in run(params, now=T0 + 100)["bootstrap"]["expired"]
    # What provisioning_fetches reports from this host's state, recorded by the key store.
    closed = merge_fetched(closed_windows(load_bootstrap_state(params["state_dir"])))
    assert closed[mac] == [key_id(params["keys"][mac])]
    store, wanted = store_of(params["keys"])
    recorded_closed = reconcile(store, wanted, closed=closed, now=T0 + 200)
    # A new redundant host (or this one with its state directory lost): same key store, nothing else.
    new_host = dict(params, roots=[str(tmp_path / "root-new")], state_dir=str(tmp_path / "state-new"),
                    bootstrap_delivered=recorded_closed.delivered)
    result = run(new_host, now=T0 + 5000)
    assert result["bootstrap"]["open"] == [] and "gs" in result["bootstrap"]["closed"]
    assert not (tmp_path / "root-new" / "cfg000b82123456").exists()
    assert not (tmp_path / "root-new" / "spa88012ba01234.xml").exists()
    assert (tmp_path / "root-new" / "cfg000b82123456.xml").exists()
    # sipfleet_rebootstrap: the hosts still report the window closed in that run; it re-opens all the same.
    reopening = reconcile(store, wanted, closed=closed, rebootstrap=[mac], now=T0 + 6000)
    assert mac not in reopening.delivered
    new_host.update(bootstrap_delivered=reopening.delivered, rebootstrap=[mac])
    reopened = run(new_host, now=T0 + 6000)
    assert reopened["bootstrap"]["reopened"] == ["gs"]
    assert params["keys"][mac]["p1359"].encode() in (tmp_path / "root-new" / "cfg000b82123456").read_bytes()


def test_next_keys_for_a_phone_whose_window_is_open_and_unfetched_keep_its_bootstrap(env):
    params, root = env
    params["bootstrap_serve"] = "window"
    mac = "000b82123456"
    old = copy.deepcopy(params["keys"])
    run(params, now=T0)
    # New keys exist anyway (a store written by an older version): the phone never had the current ones.
    params["next_keys"] = dict((m, dict((n, new_key(len(v) // 2)) for n, v in k.items())) for m, k in old.items())
    held = run(params, now=T0 + 100)
    assert "gs" in held["rotation"]["pending"] and "gs" in held["bootstrap"]["open"]
    assert old[mac]["p1359"].encode() in (root / "cfg000b82123456").read_bytes()
    assert (root / "spa88012ba01234.xml").exists()
    profile = decrypt_cli((root / "cfg000b82123456.xml").read_bytes(), old[mac]["p1359"])
    assert params["next_keys"][mac]["p1359"].encode() not in profile
    # The phone fetches its bootstrap: now the handover, readable with the key it just got, is served.
    params["bootstrap_fetched"], params["bootstrap_proven"] = fetches(params, http=[access_line(
        root, "cfg000b82123456", agent="Grandstream Model HW GXP2170 SW 1.0.11.3 DevId 000b82123456")])
    resumed = run(params, now=T0 + 600)
    assert "gs" in resumed["rotation"]["pending"] and not (root / "cfg000b82123456").exists()
    handover = decrypt_cli((root / "cfg000b82123456.xml").read_bytes(), old[mac]["p1359"])
    assert ("<P1359>%s</P1359>" % params["next_keys"][mac]["p1359"]).encode() in handover
    # The other devices, still unfetched, keep their bootstrap.
    assert (root / "spa88012ba01234.xml").exists()


# -- one argument spec for the module, its action plugin and run() -------------

def test_run_takes_the_defaults_of_the_argument_spec(env, monkeypatch):
    params, root = env
    values = option_values({"roots": params["roots"]})
    defaults = dict((name, spec.get("default")) for name, spec in ARGUMENT_SPEC.items())
    defaults["roots"] = params["roots"]
    assert dict((name, values[name]) for name in ARGUMENT_SPEC) == defaults
    # A copy: a run that changes its options leaves the spec's defaults alone.
    values["rebootstrap"].append("000b82123456")
    assert ARGUMENT_SPEC["rebootstrap"]["default"] == []
    # What the spec says is what a run without the option does.
    monkeypatch.setitem(ARGUMENT_SPEC["mode"], "default", "0604")
    monkeypatch.setitem(ARGUMENT_SPEC["bootstrap_serve"], "default", "never")
    run(dict((name, value) for name, value in params.items() if name != "bootstrap_serve"))
    assert stat.S_IMODE(os.stat(str(root / "cfg000b82123456.xml")).st_mode) == 0o604
    assert b"CFG_FILE_KEY" not in (root / "Config0080F0C8C381.cfg").read_bytes()


@pytest.mark.parametrize("strict", ["yes", "true", 1, "no"])
def test_strict_that_is_not_a_boolean_reaches_the_inventory_check_unconverted(env, strict):
    # AnsibleModule's bool type would turn sipfleet_strict: "yes" into true:
    # the option is raw, and the inventory check refuses anything but a boolean.
    from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

    params, root = env
    validated = ArgumentSpecValidator(ARGUMENT_SPEC).validate({"roots": params["roots"], "strict": strict})
    assert not validated.error_messages
    assert validated.validated_parameters["strict"] == strict
    with pytest.raises(ProvisioningError) as info:
        run(dict(params, strict=validated.validated_parameters["strict"]))
    assert "field sipfleet_strict: must be true or false, got" in str(info.value)
    assert not root.exists()
    assert ArgumentSpecValidator(ARGUMENT_SPEC).validate({"roots": params["roots"]}).validated_parameters["strict"] is False


# --- per-device HTTP credentials (Yealink, Poly): window, rotation, proof by device_auth -----------------

CREDENTIAL_DEVICES = [
    {"name": "yl", "mac": "00:15:65:74:b1:50", "model": "T46U", "lines": [{"extension": "301", "password": "yl-Secret-301"}]},
    {"name": "po", "mac": "00:04:f2:aa:00:01", "model": "VVX410", "lines": [{"extension": "302", "password": "po-Secret-302"}]},
]
CREDENTIAL_FILES = {"yl": ("00156574b150-bootstrap.cfg", "00156574b150.cfg"),
                    "po": ("0004f2aa0001-bootstrap.cfg", "0004f2aa0001-sipfleet.cfg")}


@pytest.fixture(name="credentials_env")
def credentials_env_fixture(tmp_path):
    root = tmp_path / "root"
    defaults = dict(DEFAULTS, encrypt_profiles=False, http_credentials=True)
    dummy, fleet = load_fleet(CREDENTIAL_DEVICES, defaults)
    wanted = dict((device.mac, renderer_for(device).key_specs(device)) for device in fleet)
    assert wanted == {"00156574b150": {"http_password": 16}, "0004f2aa0001": {"http_password": 16}}
    params = {"devices": CREDENTIAL_DEVICES, "defaults": defaults, "sites": {}, "models": {},
              "keys": reconcile(empty_store(), wanted).keys, "roots": [str(root)], "state_dir": str(tmp_path / "state"),
              "bootstrap_serve": "window", "http_credentials_enforced": True}
    return params, root, wanted


def authenticated_line(root, path, mac, password, when=LOG_TIME):
    """What nginx logs for a 200 it gave the device's user of ``password``."""
    record = json.loads(access_line(root, path, when=when))
    user = mac + "-" + hashlib.sha256(b"sipfleet-http-user:" + password.encode()).hexdigest()[:4]
    record.update(remote_user=user, device_auth=mac)
    return json.dumps(record)


@pytest.mark.parametrize("label, mac", [("yl", "00156574b150"), ("po", "0004f2aa0001")])
def test_http_credentials_window_then_rotation_proven_by_the_device_s_own_password(credentials_env, label, mac):
    params, root, wanted = credentials_env
    bootstrap, own = CREDENTIAL_FILES[label]
    first = run(params, now=T0)
    assert label in first["bootstrap"]["open"]
    password = params["keys"][mac]["http_password"]
    assert password.encode() in (root / bootstrap).read_bytes()
    # The phone fetched its bootstrap: the window closes, the same path holds no password any more.
    params["bootstrap_fetched"], params["bootstrap_proven"] = fetches(params, http=[access_line(root, bootstrap)])
    assert params["bootstrap_fetched"] == {mac: [key_id(params["keys"][mac])]}
    closed = run(params, now=T0 + 600)
    assert label in closed["bootstrap"]["closed"]
    assert (root / bootstrap).exists() and password.encode() not in (root / bootstrap).read_bytes()
    assert b"Secret-30" in (root / own).read_bytes()
    # Rotation: the bootstrap carries the new password under the window rules.
    store = empty_store()
    for device_mac, keys in params["keys"].items():
        store["devices"][device_mac] = dict(keys)
    started = reconcile(store, wanted, rotate=[mac], fetched=params["bootstrap_fetched"])
    new_password = started.next_keys[mac]["http_password"]
    params["next_keys"] = started.next_keys
    params["bootstrap_delivered"] = started.delivered
    rotating = run(params, now=T0 + 1200)
    assert label in rotating["rotation"]["pending"] and label in rotating["bootstrap"]["open"]
    handover = (root / bootstrap).read_bytes()
    assert new_password.encode() in handover and password.encode() not in handover
    # Fetching the plain bootstrap proves nothing (anyone may have): it only closes its window.
    params["bootstrap_fetched"], params["bootstrap_proven"] = fetches(
        params, http=[access_line(root, bootstrap, when="2026-11-21T10:30:00+00:00")])
    assert mac not in params["bootstrap_proven"]
    assert label in run(params, now=T0 + 1300)["rotation"]["pending"]
    # The phone still on its old password (nginx lets it in while the rotation runs): no proof.
    params["bootstrap_fetched"], params["bootstrap_proven"] = fetches(
        params, http=[authenticated_line(root, own, mac, password, when="2026-11-21T10:31:00+00:00")])
    assert mac not in params["bootstrap_proven"]
    assert label in run(params, now=T0 + 1350)["rotation"]["pending"]
    # The device's own file, let in by nginx as the device's new user: proof.
    params["bootstrap_fetched"], params["bootstrap_proven"] = fetches(
        params, http=[authenticated_line(root, own, mac, new_password, when="2026-11-21T10:32:00+00:00")])
    assert params["bootstrap_proven"] == {mac: [key_id(started.next_keys[mac])]}
    finished = run(params, now=T0 + 1400)
    assert finished["rotation"]["finished"] == [label]
    assert new_password.encode() not in (root / bootstrap).read_bytes()


def test_http_credentials_rotation_whose_window_expires_stays_pending_and_proves_only_by_the_new_user(credentials_env):
    """The phone missed the bootstrap with its new password: nothing is lost, the rotation waits (stalled)."""
    params, root, wanted = credentials_env
    mac, bootstrap, own = "00156574b150", "00156574b150-bootstrap.cfg", "00156574b150.cfg"
    run(params, now=T0)
    params["bootstrap_fetched"], params["bootstrap_proven"] = fetches(params, http=[access_line(root, bootstrap)])
    run(params, now=T0 + 600)
    store = empty_store()
    for device_mac, keys in params["keys"].items():
        store["devices"][device_mac] = dict(keys)
    started = reconcile(store, wanted, rotate=[mac], fetched=params["bootstrap_fetched"])
    new_password = started.next_keys[mac]["http_password"]
    params.update(next_keys=started.next_keys, bootstrap_delivered=started.delivered, bootstrap_window=10)
    assert "yl" in run(params, now=T0 + 1200)["rotation"]["pending"]
    expired = run(params, now=T0 + 1200 + 11 * 60)
    assert "yl" in expired["bootstrap"]["expired"] and "yl" in expired["rotation"]["pending"]
    assert new_password.encode() not in (root / bootstrap).read_bytes()
    state = load_bootstrap_state(params["state_dir"])
    new_user = mac + "-" + hashlib.sha256(b"sipfleet-http-user:" + new_password.encode()).hexdigest()[:4]
    assert state["devices"][mac]["proof_user"] == new_user
    # The phone still on its old password: let in (the role keeps both), and no proof.
    old_password = params["keys"][mac]["http_password"]
    params["bootstrap_fetched"], params["bootstrap_proven"] = fetches(
        params, http=[authenticated_line(root, own, mac, old_password, when="2026-11-21T11:00:00+00:00")])
    assert mac not in params["bootstrap_proven"]
    assert "yl" in run(params, now=T0 + 4000)["rotation"]["pending"]
