# Copyright (c) sipfleet.provisioning contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Reading devices from device files and bar-code scan CSVs."""

from __future__ import annotations

import re

import pytest

from ansible_collections.sipfleet.provisioning.plugins.module_utils._device_model import Inventory, build_fleet
from ansible_collections.sipfleet.provisioning.plugins.module_utils._errors import ProvisioningError, ProvisioningErrors
from ansible_collections.sipfleet.provisioning.plugins.plugin_utils import _device_import
from ansible_collections.sipfleet.provisioning.plugins.plugin_utils._device_import import DeviceImportError, import_devices

RECEPTION = """\
name: reception
mac: "00:0B:82:00:00:01"
model: GXP2170
site: berlin
lines:
  - extension: "201"
    display_name: Reception
settings:
  language: de
"""


def write(directory, relative, content):
    path = directory.joinpath(*relative.split("/"))
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


def load(tmp_path, *terms, **kwargs):
    return import_devices(list(terms), str(tmp_path), **kwargs)


def error_of(tmp_path, *terms, **kwargs):
    with pytest.raises(ProvisioningError) as info:
        load(tmp_path, *terms, **kwargs)
    return str(info.value)


# YAML and JSON device files


def test_one_device_a_file(tmp_path):
    write(tmp_path, "devices/reception.yml", RECEPTION)
    assert load(tmp_path, "devices") == [{
        "name": "reception",
        "mac": "000b82000001",
        "model": "GXP2170",
        "site": "berlin",
        "lines": [{"extension": "201", "display_name": "Reception"}],
        "settings": {"language": "de"},
    }]


def test_a_list_of_devices_in_yaml_and_json(tmp_path):
    write(tmp_path, "a.yaml", "- {mac: '00:0b:82:00:00:01', model: GXP2170}\n- {mac: '000b82000002', model: GXP2160}\n")
    write(tmp_path, "b.json", '[{"mac": "0080.f0c8.c381", "model": "KX-UT133", "params": {"X": 1}}]')
    devices = load(tmp_path, "a.yaml", "b.json")
    assert [device["mac"] for device in devices] == ["000b82000001", "000b82000002", "0080f0c8c381"]
    assert devices[2]["params"] == {"X": 1}


def test_directories_are_read_recursively_in_sorted_order(tmp_path):
    write(tmp_path, "devices/b.yml", "{mac: '000b82000002', model: GXP2170}")
    write(tmp_path, "devices/a/z.yml", "{mac: '000b82000001', model: GXP2170}")
    write(tmp_path, "devices/c.JSON", '{"mac": "000b82000003", "model": "GXP2170"}')
    write(tmp_path, "devices/d/scans.csv", "mac,model\n000b82000004,GXP2170\n")
    write(tmp_path, "devices/README.md", "not a device")
    write(tmp_path, "devices/.hidden.yml", "not: a device")
    write(tmp_path, "devices/.git/x.yml", "not: a device")
    devices = load(tmp_path, "devices/")
    assert [device["mac"] for device in devices] == ["000b82000001", "000b82000002", "000b82000003", "000b82000004"]


def test_globs_and_absolute_paths(tmp_path):
    write(tmp_path, "scans/2.csv", "mac,model\n000b82000002,GXP2170\n")
    write(tmp_path, "scans/1.csv", "mac,model\n000b82000001,GXP2170\n")
    devices = import_devices([str(tmp_path / "scans" / "*.csv")], "/nonexistent")
    assert [device["mac"] for device in devices] == ["000b82000001", "000b82000002"]


def test_a_file_named_twice_is_read_once(tmp_path):
    write(tmp_path, "devices/reception.yml", RECEPTION)
    assert len(load(tmp_path, "devices", "devices/reception.yml", "devices/*.yml")) == 1


def test_a_single_term_string(tmp_path):
    write(tmp_path, "reception.yml", RECEPTION)
    assert len(import_devices("reception.yml", str(tmp_path))) == 1


def test_passwords_fill_lines_without_one(tmp_path):
    write(tmp_path, "d.yml", "mac: '000b82000001'\nmodel: GXP2170\nlines:\n  - {extension: 201}\n"
                             "  - {extension: '202', password: own}\n  - {extension: '203', password: ''}\n")
    device = load(tmp_path, "d.yml", passwords={"201": "from-map", 203: "map-203", "202": "unused"})[0]
    assert device["lines"] == [
        {"extension": 201, "password": "from-map"},
        {"extension": "202", "password": "own"},
        {"extension": "203", "password": "map-203"},
    ]


def test_json_devices_get_a_normalised_mac(tmp_path):
    write(tmp_path, "d.json", '{"mac": "00:0B:82:00:00:01", "model": "GXP2170", "lines": [{"extension": "201"}]}')
    device = load(tmp_path, "d.json", passwords={"201": "pw"})[0]
    assert device["mac"] == "000b82000001"


def test_imported_devices_pass_the_device_model(tmp_path):
    write(tmp_path, "devices/reception.yml", RECEPTION)
    write(tmp_path, "scans.csv", "mac;model;extension\n000b82000002;GXP2160;202\n")
    devices = load(tmp_path, "devices", "scans.csv", passwords={"201": "pw-201", "202": "pw-202"})
    inventory = Inventory(defaults={"sip_server": "pbx.example.net"}, sites={"berlin": {}})
    fleet = build_fleet(devices, inventory, lambda model: "grandstream")
    assert [line.password for device in fleet for line in device.lines] == ["pw-201", "pw-202"]
    assert fleet[0].settings["language"] == "de"


# CSV


def test_csv_columns_and_lines(tmp_path):
    write(tmp_path, "scans.csv",
          "mac,model,name,vendor,site,extension,password,display_name,auth_user,sip_server,sip_port,transport,"
          "line2_extension,line2_password,line3_extension\n"
          "00:0b:82:00:00:01,GXP2170,desk-1,grandstream,berlin,201,pw,Desk One,u201,pbx,5061,tcp,211,pw2,221\n")
    assert load(tmp_path, "scans.csv") == [{
        "mac": "000b82000001", "model": "GXP2170", "name": "desk-1", "vendor": "grandstream", "site": "berlin",
        "lines": [
            {"extension": "201", "password": "pw", "display_name": "Desk One", "auth_user": "u201", "sip_server": "pbx",
             "sip_port": "5061", "transport": "tcp"},
            {"extension": "211", "password": "pw2"},
            {"extension": "221"},
        ],
    }]


def test_csv_as_spreadsheets_and_scanners_write_it(tmp_path):
    # BOM, semicolons, CRLF, header case and spaces, blanks around cells,
    # empty rows, empty cells and the trailing delimiters of empty columns.
    content = ("\ufeffMAC ; Model;Display Name;EXTENSION;Line 2-Extension;;\r\n"
               "\r\n"
               " 00-0B-82-00-00-01 ; GXP2170 ;  ; 201 ;;;\r\n"
               ";;;;;;\r\n"
               "000b.8200.0002;GXP2160;\"Desk; two\";202;212;;\r\n")
    write(tmp_path, "scans.csv", content.encode("utf-8"))
    assert load(tmp_path, "scans.csv", passwords={"201": "pw-201"}) == [
        {"mac": "000b82000001", "model": "GXP2170", "lines": [{"extension": "201", "password": "pw-201"}]},
        {"mac": "000b82000002", "model": "GXP2160",
         "lines": [{"display_name": "Desk; two", "extension": "202"}, {"extension": "212"}]},
    ]


def test_csv_comma_and_tab_delimiters(tmp_path):
    write(tmp_path, "comma.csv", "mac,model,extension,display_name\n000b82000001,GXP2170,201,\"Smith; Jones\"\n")
    write(tmp_path, "tab.csv", "mac\textension\tmodel\tdisplay_name\n000b82000002\t202\tGXP2170\tA, B\n")
    devices = load(tmp_path, "comma.csv", "tab.csv")
    assert [device["lines"][0]["display_name"] for device in devices] == ["Smith; Jones", "A, B"]


def test_csv_rows_without_lines(tmp_path):
    write(tmp_path, "scans.csv", "mac,model,extension\n000b82000001,GXP2170,\n")
    assert load(tmp_path, "scans.csv") == [{"mac": "000b82000001", "model": "GXP2170"}]


def test_csv_line1_prefix(tmp_path):
    write(tmp_path, "scans.csv", "mac,model,line1_extension,line2_extension\n000b82000001,GXP2170,201,202\n")
    assert load(tmp_path, "scans.csv")[0]["lines"] == [{"extension": "201"}, {"extension": "202"}]


def test_csv_values_are_never_templates(tmp_path):
    write(tmp_path, "scans.csv", "mac,model,display_name,extension\n000b82000001,GXP2170,{{ x }},201\n")
    assert load(tmp_path, "scans.csv")[0]["lines"][0]["display_name"] == "{{ x }}"


# Errors: each names the file, the line or entry, and the field


@pytest.mark.parametrize("content, message", [
    ("mac,model\n00:0b:82:00:00:0g,GXP2170\n",
     "scans.csv line 2: device 00:0b:82:00:00:0g, field mac: '00:0b:82:00:00:0g' is not a MAC address"),
    ("mac,model,name\n01:00:5e:00:00:01,GXP2170,desk-1\n",
     "scans.csv line 2: device desk-1, field mac: '01:00:5e:00:00:01' is a multicast MAC address"),
    ("mac,model,name\n,GXP2170,desk-1\n", "scans.csv line 2: device desk-1, field mac: is required"),
    ("mac,model\n000b82000001,\n", "scans.csv line 2: device 000b82000001, field model: is required"),
    ("mac,model,colour\n", "scans.csv line 1: field colour: unknown column 'colour' (column 3); known columns: mac, "),
    ("mac,model,line2_colour\n", "scans.csv line 1: field line2_colour: unknown column 'line2_colour' (column 3)"),
    ("mac,model,line0_extension\n", "scans.csv line 1: field line0_extension: unknown column"),
    ("mac,model,,name\n", "scans.csv line 1: column 3 has no name"),
    ("mac,model,extension,Line1 Extension\n",
     "scans.csv line 1: field line1_extension: column 'Line1 Extension' (column 4) sets what column 3 sets"),
    ("model,extension\n", "scans.csv line 1: field mac: the header has no mac column"),
    ("mac,extension\n", "scans.csv line 1: field model: the header has no model column"),
    ("mac,model,extension,password\n000b82000001,GXP2170,201,secret\n\n000b82000002,GXP2170\n",
     "scans.csv line 4: the row has 2 cells, the header has 4 columns (mac, model, extension, password)"),
    ("mac,model\n000b82000001,GXP2170,201\n", "scans.csv line 2: the row has 3 cells, the header has 2 columns"),
    ("mac,model,extension,line3_extension\n000b82000001,GXP2170,201,221\n",
     "scans.csv line 2: device 000b82000001, field lines[1]: line 2 is empty but line 3 is set"),
    ("mac,model,extension,line2_password\n000b82000001,GXP2170,201,secret\n",
     "scans.csv line 2: device 000b82000001, field lines[1].extension: is required when other columns of line 2 are set"),
    ("mac,model\n\"000b82000001\"x,GXP2170\n", "scans.csv line 2: cannot parse: "),
    ("\n \n;;\n", "scans.csv: holds no header row"),
])
def test_csv_errors(tmp_path, content, message):
    write(tmp_path, "scans.csv", content)
    assert error_of(tmp_path, "scans.csv").startswith(message)


def test_errors_never_show_the_row(tmp_path):
    write(tmp_path, "scans.csv", "mac,model,password\n000b82000001,GXP2170,secret,extra\n")
    assert "secret" not in error_of(tmp_path, "scans.csv")


@pytest.mark.parametrize("content, message", [
    ("{mac: '000b8200000', model: GXP2170}", "d.yml: device 000b8200000, field mac: '000b8200000' is not a MAC address"),
    ("{mac: 10:20:30:40:50:11, model: GXP2170}",
     "d.yml: device 8041827011, field mac: must be a string, but YAML read it as the integer 8041827011: quote the MAC address exactly as written"),
    ("{name: desk, model: GXP2170}", "d.yml: device desk, field mac: is required"),
    ("{mac: '000b82000001', model: GXP2170, colour: red}",
     "d.yml: device 000b82000001, field colour: unknown field(s) colour; a device has name, mac, model"),
    ("{mac: '000b82000001', model: GXP2170, lines: [{extension: 1, pasword: x}]}",
     "d.yml: device 000b82000001, field lines[0].pasword: unknown field(s) pasword; a line has extension"),
    ("{mac: '000b82000001', model: GXP2170, lines: {extension: 1}}",
     "d.yml: device 000b82000001, field lines: must be a list of lines, got dict"),
    ("{mac: '000b82000001', model: GXP2170, lines: ['201']}",
     "d.yml: device 000b82000001, field lines[0]: must be a mapping, got str"),
    ("- {mac: '000b82000001', model: GXP2170}\n- just a string\n", "d.yml entry 2: a device must be a mapping, got str"),
    ("- {mac: '000b82000001', model: GXP2170}\n- {mac: '000b82000001', model: GXP2170}\n",
     "d.yml entry 2: device 000b82000001, field mac: duplicate MAC 000b82000001: also in d.yml entry 1"),
    ("just a string", "d.yml: must hold a device mapping or a list of them, got str"),
    ("# nothing but a comment\n", "d.yml: holds no device"),
    ("mac: '000b82000001'\n  model: [\n", "d.yml: cannot parse: "),
])
def test_yaml_errors(tmp_path, content, message):
    write(tmp_path, "d.yml", content)
    assert error_of(tmp_path, "d.yml").startswith(message)


def test_yaml_parse_errors_give_the_line(tmp_path):
    write(tmp_path, "d.yml", "mac: '000b82000001'\nmodel: GXP2170\nlines: [\n")
    assert re.search(r"^d\.yml: cannot parse: .*\(line \d+, column \d+\)$", error_of(tmp_path, "d.yml"))


def test_json_errors(tmp_path):
    write(tmp_path, "d.json", '{"mac": "000b82000001",}')
    assert error_of(tmp_path, "d.json").startswith("d.json: cannot parse: ")


def test_duplicate_mac_across_files_names_both(tmp_path):
    write(tmp_path, "devices/reception.yml", RECEPTION)
    write(tmp_path, "scans.csv", "mac;model;name\n000b82000009;GXP2170;desk-9\n00-0B-82-00-00-01;GXP2170;desk-1\n")
    assert error_of(tmp_path, "devices", "scans.csv") == (
        "scans.csv line 3: device desk-1, field mac: duplicate MAC 000b82000001: also in devices/reception.yml")


def test_duplicate_name_across_files_names_both(tmp_path):
    write(tmp_path, "devices/reception.yml", RECEPTION)
    write(tmp_path, "scans.csv", "mac,model,name\n000b82000002,GXP2170,reception\n")
    assert error_of(tmp_path, "devices", "scans.csv") == (
        "scans.csv line 2: device reception, field name: duplicate name: also in devices/reception.yml")


def test_errors_carry_the_source(tmp_path):
    write(tmp_path, "scans.csv", "mac,model\nbad,GXP2170\n")
    with pytest.raises(ProvisioningErrors) as info:
        load(tmp_path, "scans.csv")
    first = info.value.errors[0]
    assert isinstance(first, DeviceImportError)
    assert (first.source, first.device, first.field) == ("scans.csv line 2", "bad", "mac")
    assert (info.value.device, info.value.field) == ("bad", "mac")


def test_every_bad_device_of_every_file_is_reported_at_once(tmp_path):
    write(tmp_path, "scans.csv", "mac,model\nbad,GXP2170\n000b82000001,GXP2170\n000b82000001,GXP2170\n,GXP2170\n")
    write(tmp_path, "devices/a.yml", "[{mac: 112233445566, model: GXP2170}, {mac: '00:0b:82:00:00:02', model: x, colour: red}]\n")
    write(tmp_path, "devices/b.yml", "{mac: [\n")
    write(tmp_path, "devices/c.yml", "{mac: '00:0b:82:00:00:03', model: GXP2170}\n")
    with pytest.raises(ProvisioningErrors) as info:
        load(tmp_path, "scans.csv", "devices/")
    assert str(info.value).splitlines() == [
        "scans.csv line 2: device bad, field mac: 'bad' is not a MAC address; use one of the forms 00:0B:82:12:34:56, "
        "00-0b-82-12-34-56, 000b.8212.3456 or 000B82123456",
        "scans.csv line 4: device 000b82000001, field mac: duplicate MAC 000b82000001: also in scans.csv line 3",
        "scans.csv line 5: field mac: is required",
        "devices/a.yml entry 1: device 112233445566, field mac: must be a string, but YAML read it as the integer "
        "112233445566: quote the MAC address exactly as written in the inventory (mac: \"...\") so that it reaches the "
        "phone as written (YAML reads unquoted 0777 as 511, 12:30 as 750, yes as true)",
        "devices/a.yml entry 2: device 00:0b:82:00:00:02, field colour: unknown field(s) colour; a device has name, mac, "
        "model, vendor, site, lines, params, settings, keys (put settings under 'settings')",
        info.value.lines[5],
    ]
    assert info.value.lines[5].startswith("devices/b.yml: cannot parse: ")


def test_files_outside_the_base_directory_are_named_absolutely(tmp_path):
    write(tmp_path, "fleet/d.yml", "{mac: 'bad', model: GXP2170}")
    (tmp_path / "inventory").mkdir()
    message = error_of(tmp_path / "inventory", "../fleet/d.yml")
    assert message.startswith("%s: device bad" % (tmp_path / "fleet" / "d.yml"))


@pytest.mark.parametrize("terms, message", [
    (["missing.yml"], "missing.yml does not exist"),
    (["scans/*.csv"], "scans/*.csv matches no file"),
    (["empty"], "directory empty holds no .yml, .yaml, .json, .csv file"),
    (["notes.txt"], "notes.txt: unknown kind of file: device files end in .yml, .yaml, .json, .csv"),
    ([""], "each term must be a file, directory or glob pattern, got ''"),
    ([None], "each term must be a file, directory or glob pattern, got None"),
])
def test_terms_that_find_no_device_file(tmp_path, terms, message):
    (tmp_path / "empty" / "sub").mkdir(parents=True)
    write(tmp_path, "empty/notes.txt", "")
    write(tmp_path, "notes.txt", "")
    assert error_of(tmp_path, *terms) == message


def test_non_utf8_files(tmp_path):
    write(tmp_path, "scans.csv", "mac,model,display_name\n000b82000001,GXP2170,R\xe9ception\n".encode("latin-1"))
    assert error_of(tmp_path, "scans.csv") == "scans.csv: is not UTF-8 text (byte 45)"


def test_unreadable_files(tmp_path, monkeypatch):
    write(tmp_path, "scans.csv", "mac,model\n")

    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(_device_import, "open", refuse, raising=False)
    assert error_of(tmp_path, "scans.csv") == "scans.csv: cannot read: Permission denied"


VAULTED = b"$ANSIBLE_VAULT;1.1;AES256\n6162\n"


def test_vault_encrypted_files_need_the_decrypt_hook(tmp_path):
    write(tmp_path, "d.yml", VAULTED)
    assert error_of(tmp_path, "d.yml") == "d.yml: is encrypted with Ansible Vault, which only the lookup can decrypt"


def test_vault_encrypted_files_are_decrypted(tmp_path):
    path = write(tmp_path, "d.yml", VAULTED)
    seen = []

    def decrypt(name):
        seen.append(name)
        return "{mac: '000b82000001', model: GXP2170}"

    assert load(tmp_path, "d.yml", decrypt=decrypt) == [{"mac": "000b82000001", "model": "GXP2170"}]
    assert seen == [str(path)]


def test_encrypted_csv_files_may_begin_with_a_bom(tmp_path):
    write(tmp_path, "s.csv", VAULTED)
    assert load(tmp_path, "s.csv", decrypt=lambda name: "\ufeffmac,model\n000b82000001,GXP2170\n") == [
        {"mac": "000b82000001", "model": "GXP2170"}]


@pytest.mark.parametrize("passwords, message", [
    (["201"], "field passwords: must be a mapping of extension to password, got list"),
    ({"201": ["secret"]}, "field passwords: the password of extension 201 must be a string, got list"),
    ({"201": True}, "field passwords: the password of extension 201 must be a string, got bool: quote it exactly as "
                    "written (YAML reads unquoted 0777 as 511)"),
    ({"201": 0o777}, "field passwords: the password of extension 201 must be a string, got int: quote it exactly as "
                     "written (YAML reads unquoted 0777 as 511)"),
])
def test_bad_passwords(tmp_path, passwords, message):
    write(tmp_path, "d.yml", RECEPTION)
    message_seen = error_of(tmp_path, "d.yml", passwords=passwords)
    assert message_seen == message
    assert "secret" not in message_seen


@pytest.mark.parametrize("mac, reading", [("112233445566", "the integer 112233445566"),
                                          ("11:22:33:44:55:06", "the integer 8846009706")])
def test_a_mac_yaml_read_as_an_integer_is_refused_with_a_hint(tmp_path, mac, reading):
    write(tmp_path, "d.yml", "{mac: %s, model: GXP2170}\n" % mac)
    assert error_of(tmp_path, "d.yml").startswith(
        "d.yml: device %s, field mac: must be a string, but YAML read it as %s: quote the MAC address exactly as written"
        % (reading.split()[-1], reading))


def test_a_mac_without_separators_and_with_a_letter_is_text(tmp_path):
    write(tmp_path, "d.yml", "{mac: 000b82123456, model: GXP2170}\n")
    assert load(tmp_path, "d.yml")[0]["mac"] == "000b82123456"


def test_template_markers_are_kept_as_written(tmp_path):
    write(tmp_path, "d.yml", "{mac: '00:0b:82:00:00:01', model: GXP2170, lines: [{extension: '201', password: 'p{{x}}',"
                             " display_name: 'Lobby {#2} {% if %}'}]}\n")
    line = load(tmp_path, "d.yml")[0]["lines"][0]
    assert line == {"extension": "201", "password": "p{{x}}", "display_name": "Lobby {#2} {% if %}"}


def test_huge_values_are_quoted_cut(tmp_path):
    huge = "0" * (1 << 20)
    write(tmp_path, "d.yml", "{mac: '%s', model: GXP2170}\n" % huge)
    message = error_of(tmp_path, "d.yml")
    assert "(1048576 characters)" in message and len(message) < 400
    write(tmp_path, "s.csv", "mac,model,%s\n000b82000001,GXP2170,x\n" % ("c" * 5000))
    message = error_of(tmp_path, "s.csv")
    assert "(5000 characters)" in message and len(message) < 600
