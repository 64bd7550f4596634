# Copyright (c) sipfleet.provisioning contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""``--diff`` decodes each side by the encoding it is tagged with, never by what its bytes look like.

The new file by its own tag, the file on disk by what the manifest recorded
when it was written: real runs into a temporary root, manifests read and
altered as a user upgrading from an older writer (or tampering) would.
"""

from __future__ import annotations

import copy
import json
import os

import pytest

from ansible_collections.sipfleet.provisioning.plugins.module_utils._codec import encode
from ansible_collections.sipfleet.provisioning.plugins.module_utils._errors import ProvisioningError
from ansible_collections.sipfleet.provisioning.plugins.module_utils._fleet import load_fleet, render_fleet
from ansible_collections.sipfleet.provisioning.plugins.module_utils._key_store import empty_store, reconcile
from ansible_collections.sipfleet.provisioning.plugins.module_utils._phone_profiles import run
from ansible_collections.sipfleet.provisioning.plugins.module_utils._profile_diff import MASK, text_view
from ansible_collections.sipfleet.provisioning.plugins.module_utils._profile_writer import (
    manifest_path_for,
    recorded_tag,
    sha256_hex,
)
from ansible_collections.sipfleet.provisioning.plugins.module_utils._vendors.base import FileTag
from ansible_collections.sipfleet.provisioning.plugins.module_utils._vendors.grandstream.renderer import render_legacy_binary
from ansible_collections.sipfleet.provisioning.plugins.module_utils._fleet import renderer_for

DEFAULTS = {"sip_server": "pbx.example.net", "provisioning_url": "http://prov.example.net", "resync_interval": 60}
PANA_MAC, GS_MAC, LEGACY_MAC = "0080f0c8c381", "000b82123456", "000b82654321"
KEY = "5f" * 16
SECRET = "TagSecret1"

PLAIN_PANASONIC = FileTag("panasonic", "cfg", ("plain",), None)
ENC_PANASONIC = FileTag("panasonic", "enc", ("openssl-aes-256-cbc", "base64"), "md5")
XML_GRANDSTREAM = FileTag("grandstream", "xml", ("plain",), None)
LEGACY_GRANDSTREAM = FileTag("grandstream", "legacy_binary", ("plain",), None)

_PANASONIC_TEXT = ('# Panasonic SIP Phone Standard Format File #\r\nSIP_PASS_1="%s"\r\n' % SECRET).encode()


# --- text_view: the tag decides ----------------------------------------------------------------


@pytest.mark.parametrize("looks_like, content", [
    ("openssl", encode(("openssl-aes-256-cbc",), _PANASONIC_TEXT, KEY, "md5")),
    ("armoured openssl", encode(("openssl-aes-256-cbc", "base64"), _PANASONIC_TEXT, KEY, "md5")),
    ("gzip", encode(("gzip",), _PANASONIC_TEXT)),
], ids=["openssl", "armoured-openssl", "gzip"])
def test_bytes_that_look_encoded_but_are_tagged_plain_are_shown_as_they_are(looks_like, content):
    """The key is at hand: a guessing diff would decrypt or unpack them; a tagged one shows the plain file it is."""
    view = text_view(content, {"cfg_file_key": KEY}, PLAIN_PANASONIC)
    assert SECRET not in view and "for display" not in view, looks_like
    try:
        assert view == content.decode("utf-8")
    except UnicodeDecodeError:
        assert view == "(%d bytes of binary data)\n" % len(content)


def test_the_same_bytes_tagged_encrypted_are_shown_decrypted():
    content = encode(("openssl-aes-256-cbc", "base64"), _PANASONIC_TEXT, KEY, "md5")
    view = text_view(content, {"cfg_file_key": KEY}, ENC_PANASONIC)
    assert view == ("# (base64 armour removed for display)\n# (decrypted for display; served encrypted)\n"
                    + _PANASONIC_TEXT.decode())
    # The digest is the tag's, not tried: with the other one the key does not fit.
    assert "does not hold" in text_view(content, {"cfg_file_key": KEY}, ENC_PANASONIC._replace(digest="sha256"))


def test_a_file_tagged_encrypted_that_is_not_is_summarised_never_shown():
    view = text_view(_PANASONIC_TEXT, {"cfg_file_key": KEY}, ENC_PANASONIC)
    assert SECRET not in view and view.startswith("(%d bytes" % len(_PANASONIC_TEXT)) and "base64" in view
    gzip_tag = FileTag("cisco_spa", "xml_compressed_encrypted", ("gzip", "openssl-aes-256-cbc"), "md5")
    not_gzip = encode(("openssl-aes-256-cbc",), _PANASONIC_TEXT, KEY, "md5")
    assert SECRET not in text_view(not_gzip, {"gpp_a": KEY}, gzip_tag)


def test_the_legacy_binary_view_is_the_tagged_kinds_not_the_bytes():
    binary = render_legacy_binary(LEGACY_MAC, [("P34", SECRET), ("P35", "301")])
    legacy = text_view(binary, {}, LEGACY_GRANDSTREAM)
    assert legacy.startswith("# Grandstream legacy binary profile for %s\n" % LEGACY_MAC)
    assert "P34=%s\n" % SECRET in legacy and "P35=301\n" in legacy
    # The same bytes as Grandstream XML, or as a kind of another vendor: not read as a legacy binary.
    for tag in (XML_GRANDSTREAM, LEGACY_GRANDSTREAM._replace(vendor="panasonic")):
        assert "legacy binary profile" not in text_view(binary, {}, tag)


def test_an_untagged_file_is_never_shown():
    view = text_view(_PANASONIC_TEXT, {"cfg_file_key": KEY}, None)
    assert view == "(%d bytes not shown: how the file is encoded was not recorded)\n" % len(_PANASONIC_TEXT)


def test_a_recorded_tag_describes_the_bytes_it_was_recorded_for():
    record = [sha256_hex(b"written"), "d", "profile", 7, 1] + ["panasonic", "enc", ["openssl-aes-256-cbc", "base64"], "md5"]
    assert recorded_tag(record, b"written") == ENC_PANASONIC
    assert recorded_tag(record) == ENC_PANASONIC
    # Someone changed the file since: its tag is not known.
    assert recorded_tag(record, b"changed by hand") is None
    assert recorded_tag(record[:5], b"written") is None and recorded_tag(None) is None


# --- through real runs --------------------------------------------------------------------------


def _devices(digest="md5"):
    return [
        {"name": "pana", "mac": PANA_MAC, "model": "KX-UTG200", "settings": {"encryption_digest": digest},
         "lines": [{"extension": "601", "password": SECRET + "pana"}]},
        {"name": "gs", "mac": GS_MAC, "model": "GXP2170", "lines": [{"extension": "201", "password": SECRET + "gs"}]},
        {"name": "legacy", "mac": LEGACY_MAC, "model": "GXP2000",
         "settings": {"encrypt_profiles": False, "allow_plain_credentials": True},
         "lines": [{"extension": "301", "password": SECRET + "legacy"}]},
    ]


def _store_keys(device_list):
    dummy, fleet = load_fleet(device_list, DEFAULTS)
    wanted = dict((device.mac, renderer_for(device).key_specs(device)) for device in fleet)
    return reconcile(empty_store(), dict((mac, specs) for mac, specs in wanted.items() if specs)).keys


@pytest.fixture(name="deployed")
def deployed_fixture(tmp_path):
    device_list = _devices()
    params = {"devices": device_list, "defaults": dict(DEFAULTS), "sites": {}, "models": {},
              "keys": _store_keys(device_list), "roots": [str(tmp_path / "root")], "state_dir": str(tmp_path / "state"),
              "bootstrap_serve": "always"}
    run(params)
    return params, manifest_path_for(params["state_dir"], params["roots"][0])


def _manifest(path):
    """The manifest with each file's tag appended to its record, as the writer reads it."""
    with open(path) as handle:
        manifest = json.load(handle)
    for relpath, tag in manifest.pop("tags", {}).items():
        manifest["files"][relpath] = manifest["files"][relpath] + tag
    return manifest


def _rewrite(path, change):
    """Change the records as :func:`_manifest` shows them; written back as the writer writes them."""
    manifest = _manifest(path)
    manifest["tags"] = {}
    for relpath in list(manifest["files"]):
        record = change(relpath, manifest["files"][relpath])
        manifest["files"][relpath] = record[:5]
        if len(record) > 5:
            manifest["tags"][relpath] = record[5:]
    with open(path, "w") as handle:
        json.dump(manifest, handle)


def _as_older_writer(path):
    """The manifest as the writer before tags wrote it: five fields a record."""
    _rewrite(path, lambda relpath, record: record[:5])


def _diffs(result):
    return dict((os.path.basename(item["before_header"].replace(" (absent)", "")), item) for item in result["diff"])


def test_the_manifest_records_every_served_files_tag(deployed):
    params, manifest_path = deployed
    inventory, fleet = load_fleet(copy.deepcopy(params["devices"]), params["defaults"])
    for device in fleet:
        device.keys = dict(params["keys"].get(device.mac, {}))
    # Served with bootstrap_serve: always: the carriers, not their after-window replacements.
    files = [item for item in render_fleet(inventory, fleet) if not item.after_window]
    records = _manifest(manifest_path)["files"]
    assert sorted(records) == sorted(item.path for item in files)
    for item in files:
        assert records[item.path][5:] == [item.vendor, item.kind, list(item.encoding), item.digest], item.path
    assert records["Config%s.enc" % PANA_MAC.upper()][5:] == ["panasonic", "enc", ["openssl-aes-256-cbc", "base64"], "md5"]
    assert records["cfg%s" % LEGACY_MAC][5:] == ["grandstream", "legacy_binary", ["plain"], None]


def test_the_records_on_disk_keep_the_five_fields_an_older_writer_checks(deployed):
    """The tags sit beside the records: a collection from before tags reads the manifest instead of refusing it."""
    dummy, manifest_path = deployed
    with open(manifest_path) as handle:
        raw = json.load(handle)
    assert raw["version"] == 2 and raw["files"]
    assert all(isinstance(record, list) and len(record) == 5 for record in raw["files"].values())
    assert sorted(raw["tags"]) == sorted(raw["files"])
    assert all(isinstance(tag, list) and len(tag) == 4 for tag in raw["tags"].values())


def test_the_old_side_is_decoded_by_the_digest_recorded_for_it(deployed):
    """md5 to sha256: the file on disk is decrypted with the recorded md5; an older manifest's files are not guessed."""
    params, manifest_path = deployed
    changed = dict(params, devices=_devices("sha256"))
    enc = _diffs(run(changed, check_mode=True, want_diff=True))["Config%s.enc" % PANA_MAC.upper()]
    for side in ("before", "after"):
        assert "(decrypted for display; served encrypted)" in enc[side] and 'PHONE_NUMBER_1="601"' in enc[side], side
        assert 'SIP_PASS_1="%s"' % MASK in enc[side]
    _as_older_writer(manifest_path)
    enc = _diffs(run(changed, check_mode=True, want_diff=True))["Config%s.enc" % PANA_MAC.upper()]
    # No record: the new file's tag (sha256) for the same path, and md5 is not tried.
    assert "encrypted with a key this run does not hold" in enc["before"]
    assert "(decrypted for display; served encrypted)" in enc["after"]


def test_a_removed_file_is_decoded_by_its_record_or_not_shown(deployed):
    params, manifest_path = deployed
    removed = dict(params, devices=[], keys={})
    diffs = _diffs(run(removed, check_mode=True, want_diff=True))
    legacy = diffs["cfg%s" % LEGACY_MAC]["before"]
    assert legacy.startswith("# Grandstream legacy binary profile") and "P34=%s" % MASK in legacy
    key_file = diffs["Config%s.cfg" % PANA_MAC.upper()]["before"]
    assert 'CFG_FILE_KEY="%s"' % MASK in key_file
    _as_older_writer(manifest_path)
    diffs = _diffs(run(removed, check_mode=True, want_diff=True))
    assert diffs, "the removed files are listed"
    for name, item in diffs.items():
        assert item["after_header"].endswith("(deleted)"), name
        assert "not shown: how the file is encoded was not recorded" in item["before"], name
        assert SECRET not in item["before"] and "Panasonic" not in item["before"], name


def test_an_older_manifest_gets_the_tags_without_a_file_written(deployed):
    params, manifest_path = deployed
    _as_older_writer(manifest_path)
    result = run(params)
    assert result["written"] == 0 and result["pruned"] == 0
    assert all(len(record) == 9 for record in _manifest(manifest_path)["files"].values())


@pytest.mark.parametrize("tamper, words", [
    (lambda record: record[:7] + [["rot13"], None], "unknown encoding step 'rot13'"),
    (lambda record: record[:7] + [["openssl-aes-256-cbc", "base64"], None], "needs a digest"),
    (lambda record: record[:7] + [["plain"], "md5"], "takes no digest"),
    (lambda record: record[:6] + ["../enc"] + record[7:], "file kind that is not a name"),
    (lambda record: record[:8], "not a list of 4 fields"),
])
def test_a_tampered_manifest_tag_is_refused_naming_the_manifest(deployed, tamper, words):
    params, manifest_path = deployed
    target = "Config%s.enc" % PANA_MAC.upper()
    _rewrite(manifest_path, lambda relpath, record: tamper(record) if relpath == target else record)
    with pytest.raises(ProvisioningError) as failure:
        run(dict(params, devices=[]), check_mode=True, want_diff=True)
    assert manifest_path in str(failure.value) and target in str(failure.value) and words in str(failure.value)
    assert failure.value.field == "state_dir"
