# Copyright (c) sipfleet.provisioning contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A virtual SIP phone: boots like a phone of one vendor family and reports what it would apply.

    ip netns exec NS python3 lab/virtual_phone.py --vendor grandstream --model GXP2170 \\
        --mac 00:0b:82:12:34:56 --interface eth0 [--resolve prov.example.net=10.99.20.1] \\
        [--cacert CA --cert CERT --key KEY] [--state FILE] [--resyncs N [--no-boot]] [--json FILE]

scripts/lab and the end-to-end tests run it as root inside a phone's network
namespace. It is a second implementation of the phone side, written from the
vendor documents (docs/vendors/*.md, the vendors' provisioning guides) and not
from the collection's code, which it does not import: a file the collection
writes wrongly fails here instead of being read back by the code that wrote it.
Like a phone it uses real clients, in this order:

1. DHCP: sets the interface's MAC, runs dhclient once with the vendor's option
   60 and asks for options 66, 43, 150, 159 and 160. Its lease script puts the
   address (and default route) on the interface and never writes
   /etc/resolv.conf. dhclient is stopped, without a release, at exit. Each
   vendor takes its server from the options it prefers: Grandstream 66, 43;
   Cisco SPA 66, 150; Cisco MPP 66, 160, 159, 150; Panasonic 160, 159, 66;
   Yealink 66, 43; Poly 66; Snom 43 (sub-options 66 and 67), 66; Fanvil 66, 43.
   Option 60: Poly's is binary (enterprise 13885,
   00 00 36 3d, a length, sub-options 1 Polycom, 2 model, 3 part number,
   4 and 5 versions, ff), sent as hex bytes; what Yealink phones send was not
   found, so the lab phone sends none (the DHCP server matches its MAC's
   OUI; --vendor-class sends one); Snom's is its phone type (snomD785);
   Fanvil's probably none is sent: none (the OUI again).
2. Files in the vendor's order, over TFTP (tftp-hpa) or HTTP/HTTPS (curl with
   the vendor's User-Agent, and a client certificate when given); encrypted
   files are decrypted with openssl enc -d and the key the phone learned:
   - grandstream: the legacy binary [prefix]cfg<mac>[postfix] (then .bin),
     applied at once (P1359 key, P234/P235 prefix/postfix, P237/P212 server);
     then [prefix]cfg<mac>.xml[postfix], cfg<model>.xml, cfg.xml: the first one
     found is the only XML file applied. A file for another MAC is refused.
     The legacy models (GXP2000 family) read no XML: their legacy file is the
     profile, fetched again when it moves them to a new name or server.
   - cisco_spa, cisco_mpp: the factory Profile_Rule (/spa$PSN.cfg, ata$PSN.cfg,
     /$PSN.xml) on the DHCP server, or a profile URL DHCP named; then every new
     Profile_Rule a profile sets (macros, [--key ...] decryption, gzip), until
     a profile keeps the rule it was fetched with (at most 6 fetches).
   - panasonic: <MODEL>.cfg from the DHCP URL at every boot, then
     CFG_STANDARD_FILE_PATH, CFG_PRODUCT_FILE_PATH and CFG_MASTER_FILE_PATH;
     the first file that sets a parameter wins. A file without the header
     line is decrypted (openssl enc -d -a) with the CFG_FILE_KEY the phone
     holds (seed 004 step 3). A plain key file (CFG_FILE_KEY, with a
     CFG_STANDARD_FILE_PATH naming another file, Config<MAC>.enc) is
     applied, and the file it names is fetched only at the next cyclic check
     (CFG_CYCLIC_INTVL minutes later), not in this boot: a factory-new phone
     gets no SIP account from its first boot alone.
   - yealink (firmware 81 and later): <mac>.boot, else y000000000000.boot
     (firmware without boot files is not emulated); a boot file is the
     #!version:1.0.0.1 line, then include:config lines ([MODELS] prefix
     honoured), fetched top to bottom; each .cfg file (the same header, then
     key = value lines) overrides the parameters of the files before it.
   - poly (UC Software): the master named by option 66, else <mac>.cfg, else
     000000000000.cfg; then its CONFIG_FILES left to right, [PHONE_MAC_ADDRESS]
     replaced by the lower-case MAC; the first file that sets a parameter wins;
     device.* values apply only with device.set="1" and their own .set="1", and
     a changed device.* value restarts the phone, which boots again (at most
     3 restarts a boot).
   - snom: from its setting server (option 43's 66+67, option 66, else the
     stored setting_server), snom<model>.htm, then snom<model>-<MAC>.htm
     (upper-case MAC), each a <setting-files> container whose <file url=...>
     settings files (<settings><phone-settings>, idx as name[idx], function
     keys as fkey[idx]) are fetched and applied in order, a later one
     overriding (no precedence is documented). The firmware file that
     firmware_status names is not fetched. The redirection service a
     factory-new phone asks first is not emulated.
   - fanvil (<VOIP_CONFIG_FILE> form only): the model file when the model has
     one (f0X4hw1.100.cfg...), then the file option 66 names ($mac expanded,
     lower case), else the stored Download_Server_IP and Config_File_Name
     ($mac.cfg); a file's Config_File_Name naming another file sends the
     phone on to it in the same boot (the bootstrap names $mac.cfg).
   All four send the HTTP credentials they hold (Yealink static.auto_provision.
   server.username/.password, Poly device.prov.user/.password, Snom
   http_client_user/_pass, Fanvil Download_Username/_Password) as basic
   authentication on every later request (from the next file of the same boot
   for Yealink, Snom and Fanvil; after the restart for Poly); a file answered
   401 or 403 is skipped, as a 404 is, and the boot then fails.
3. The directory, after a boot or check that applied the device profile:
   the phonebook its configuration points at, fetched as the files were
   and parsed as XML (docs/vendors/*.md, Directory): Grandstream
   <P330 scheme>://<P331>/phonebook.xml (P330 1 HTTP, 2 TFTP, 3 HTTPS),
   Cisco XML_Directory_Service_URL, Yealink remote_phonebook.data.1.url,
   Poly <mac>-directory.xml, else 000000000000-directory.xml beside the
   master (neither: an empty directory), Snom the <tbook> file its container
   names. A pointer that leads to no readable phonebook (not found,
   refused, another root element, an entry without name or number, no
   entry) fails the cycle. Panasonic and Fanvil phones fetch none.
4. A report: the lease, every request with its result, size and SHA-256, the
   files applied, the settings in the vendor's terms and a summary (SIP
   server, lines, admin password; for Yealink, Poly, Snom and Fanvil, the
   HTTP credentials held), the function keys the settings program (index,
   type, value, label, line: Grandstream VPK P-values, Cisco
   Extension_n_/Short_Name_n_/Extended_Function_n_, Yealink linekey.K.*,
   Poly reg.N.lineKeys then attendant.resourceList.K.*) and the directory
   (entries, the first names). Passwords and keys are printed as
   ********; --json writes the same and the SHA-256 of each secret, so a test
   can check the phone got the right password without it appearing anywhere.

--state FILE keeps the phone's configuration (keys, server, prefix,
Profile_Rule, file paths; in clear, mode 0600: it is the phone's flash) and a
later run with the same file boots as an already provisioned phone (a
reboot; removing the file is a factory reset): Grandstream asks for its
prefixed names and decrypts with its P1359, Cisco goes to its stored
Profile_Rule. Panasonic keeps its CFG_FILE_KEY but, as the KX-UTG200/300
administrator guide's start-up sequence says (2.4: load the flash; take the
provisioning URL from option 160, 159 or 66; download the initial
configuration file, then the device files; only when that fails, apply the
locally saved configuration), starts every boot from <MODEL>.cfg at the DHCP
URL, whose CFG_STANDARD_FILE_PATH (Config{MAC}.cfg) replaces the stored
pointer to Config<MAC>.enc; only when <MODEL>.cfg is missing does it go on
with its stored file paths. Yealink, Poly, Snom and Fanvil keep their HTTP
credentials and send them from the first request of the next boot.

--resyncs N: after the boot (or, with --no-boot, on a phone that was already
running with its --state), N periodic checks as the phone makes them, on a
virtual clock (the phone does not sleep; each check adds the interval its
configuration sets): Grandstream the boot's files again every P193 minutes
(P194=1; 2 daily, 3 weekly, 0 or unset: none); Cisco its stored Profile_Rule
every Resync_Periodic seconds (Resync_Error_Retry_Delay after a failure; 0:
none); Panasonic the standard, product and master files (no <MODEL>.cfg) every
CFG_CYCLIC_INTVL minutes when CFG_CYCLIC="Y" (CFG_RTRY_INTVL, default 30,
after a failed download); Yealink the boot's files every
static.auto_provision.repeat.minutes (with .repeat.enable = 1); Poly the
master and its files every prov.polling.period seconds (prov.polling.enabled
= 1, mode rel; mode abs: daily); Snom its containers again every
settings_refresh_timer seconds (0 or unset: none); Fanvil its files once a
day (the periodic check's codes are in no source: assumed). The report lists each cycle (its minute, requests,
whether the device profile was reached and an account is held), the first
SIP account applied by a file of this run with its password (first_account:
requests and virtual minutes; an account only remembered from --state does
not count) and every request made in vain: a plain key carrier whose key the
phone already held, or a file its configuration names that is not found
(asked again at every check; Grandstream's 404s before the first name found
are its documented search order, not in vain). DHCP requests are not counted.
--option66 VALUE (or --dhcp-option CODE=VALUE) skips DHCP and leaves the
interface alone.

Exit status: 0 when the phone applied its device-specific profile (in the last
cycle, with --resyncs); 1 when it did not (a Panasonic phone's first boot that
applied only its key file) (no lease, a file not found, a decryption failure, a file for another
MAC, a malformed file, only a shared file found); 2 for a usage error.
Needs Python 3.11+ (standard library only), dhclient, ip, tftp (tftp-hpa),
curl and openssl.
"""

from __future__ import annotations

import argparse
import dataclasses
import gzip
import hashlib
import ipaddress
import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.parse
import zlib
import xml.etree.ElementTree as ET

MASK = "********"
EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2

VENDORS = ("grandstream", "cisco_spa", "cisco_mpp", "panasonic", "yealink", "poly", "snom", "fanvil")
# The key derivation digest of openssl enc each family's firmware uses
# (docs/vendors/*.md): MD5 where the firmware was built on OpenSSL before 1.1,
# SHA-256 for Cisco MPP 11.3(1) and later.
DEFAULT_DIGEST = {"grandstream": "md5", "cisco_spa": "md5", "cisco_mpp": "sha256", "panasonic": "md5"}
# Families whose files the collection never encrypts (docs/vendors/yealink.md, poly.md, snom.md, fanvil.md): no digest.
PLAIN_VENDORS = ("yealink", "poly", "snom", "fanvil")
SCHEMES = ("tftp", "http", "https")
DEFAULT_PORTS = {"http": 80, "https": 443}

# A phone that keeps getting a new Profile_Rule is in a loop; 6 fetches cover
# the longest documented chain (factory rule, bootstrap, initial file, profile).
MAX_PROFILE_FETCHES = 6
# Grandstream legacy models: checks within one run while the legacy file moves them to a new name or server.
MAX_LEGACY_CHECKS = 3


class PhoneError(Exception):
    """The boot failed (exit 1); the message says where and why."""


class UsageError(Exception):
    """Bad command line or state file (exit 2)."""


class DecryptError(Exception):
    """openssl enc -d failed; the message is openssl's reason."""


def sha256_hex(data):
    if isinstance(data, str):
        data = data.encode("utf-8")
    return hashlib.sha256(data).hexdigest()


def run_quiet(command, **kwargs):
    """Run a command, capturing its output; a missing program is a PhoneError naming it."""
    try:
        return subprocess.run(command, capture_output=True, check=False, **kwargs)
    except FileNotFoundError:
        raise PhoneError(f"{command[0]} is not installed (needed by the virtual phone)")


# ---------------------------------------------------------------------------
# Who the phone is


@dataclasses.dataclass
class Identity:
    vendor: str
    model: str
    mac: str                    # twelve lower-case hex digits
    serial: str
    digest: str
    psn: str = ""               # Cisco $PSN
    product_name: str = ""      # Cisco $PN
    factory_rule: str = ""      # Cisco factory Profile_Rule
    vendor_class: str = ""
    vendor_class_hex: bool = False     # vendor_class is colon-separated hex bytes (Poly's binary option 60)
    user_agent: str = ""

    @property
    def mac_colons(self):
        return ":".join(self.mac[index:index + 2] for index in range(0, 12, 2))

    @property
    def is_cisco_ata(self):
        return self.vendor == "cisco_mpp" and self.factory_rule == "ata$PSN.cfg"


def normalise_mac(text):
    digits = re.sub(r"[:.\-]", "", text.strip()).lower()
    if not re.fullmatch(r"[0-9a-f]{12}", digits):
        raise UsageError(f"--mac {text!r} is not a MAC address")
    return digits


def cisco_product(vendor, model, psn):
    """($PSN, $PN, factory Profile_Rule) of a Cisco model, as docs/vendors/cisco_*.md list them."""
    if vendor == "cisco_spa":
        match = re.fullmatch(r"SPA-?(\w+)", model, re.IGNORECASE)
        psn = psn or (match.group(1) if match else "")
        if not psn:
            raise UsageError(f"--model {model}: cannot tell its product series ($PSN) from the name; give --psn")
        return psn, model, "/spa$PSN.cfg"
    match = re.fullmatch(r"ATA(\d+)(?:-MPP)?", model, re.IGNORECASE)
    if match:
        return psn or match.group(1), f"ATA{match.group(1)}-MPP", "ata$PSN.cfg"
    match = re.fullmatch(r"CP-(\d+)-3PCC", model, re.IGNORECASE)
    if match:
        # The 6800 guide names its series "6841-3PCC", the 7800/8800 guides "7841".
        number = match.group(1)
        return psn or (f"{number}-3PCC" if number.startswith("6") else number), model.upper(), "/$PSN.xml"
    if psn:
        return psn, model, "/$PSN.xml"
    raise UsageError(f"--model {model}: not an MPP model name (ATA19x, CP-<number>-3PCC); give --psn")


def build_identity(args):
    if args.vendor == "panasonic":
        model = args.model.upper()
    elif args.vendor == "yealink":
        # Inventories write T46U; the User-Agent adds SIP- (docs/vendors/yealink.md).
        model = re.sub(r"^SIP-", "", args.model.upper())
    elif args.vendor == "poly":
        # Inventories write VVX450; the User-Agent writes VVX_450 (docs/vendors/poly.md).
        model = args.model.upper().replace("_", "")
    elif args.vendor in ("snom", "fanvil"):
        # Inventories write D785 (not snomD785) and X4; the phone type adds snom (docs/vendors/snom.md).
        model = re.sub(r"^SNOM", "", args.model.upper())
    else:
        model = args.model
    mac = normalise_mac(args.mac)
    identity = Identity(vendor=args.vendor, model=model, mac=mac,
                        serial=args.serial or f"CBT{int(mac[6:], 16):09d}",
                        digest=args.digest or DEFAULT_DIGEST.get(args.vendor, "md5"))
    if args.vendor.startswith("cisco"):
        identity.psn, identity.product_name, identity.factory_rule = cisco_product(args.vendor, model, args.psn)
    if args.vendor == "poly" and not args.vendor_class:
        identity.vendor_class, identity.vendor_class_hex = poly_vendor_class(model).hex(":"), True
    else:
        identity.vendor_class = args.vendor_class or default_vendor_class(identity)
    identity.user_agent = args.user_agent or default_user_agent(identity)
    for name, value in (("--vendor-class", identity.vendor_class), ("--user-agent", identity.user_agent)):
        if name == "--vendor-class" and value == "" and identity.vendor in ("yealink", "fanvil"):
            continue
        if not value or not value.isprintable() or '"' in value or "\\" in value:
            raise UsageError(f"{name} must be printable text without quotes or backslashes")
    return identity


def default_vendor_class(identity):
    """Option 60 as the phones send it; the dhcp role matches these on their prefix."""
    if identity.vendor == "grandstream":
        return f"Grandstream {identity.model} dslforum.org"
    if identity.vendor == "cisco_spa":
        return f"Cisco {identity.model}"
    if identity.vendor == "cisco_mpp":
        return f"Cisco ATA {identity.psn}" if identity.is_cisco_ata else f"Cisco IP Phone {identity.model}"
    if identity.vendor == "yealink":
        # What Yealink phones send was not found (vendor-facts-more 1.5: unsure): none, and the
        # DHCP server recognises the MAC's OUI; --vendor-class sends one.
        return ""
    if identity.vendor == "snom":
        # The phone type, since firmware 7.3.15 (docs/vendors/snom.md, DHCP).
        return f"snom{identity.model}"
    if identity.vendor == "fanvil":
        # Probably none is sent (FusionPBX Use_Vendor_Class_ID 0): none, the DHCP server matches the OUI.
        return ""
    return f"Panasonic {identity.model}"


def poly_model_token(model):
    """(series, token) of the User-Agent and option 60: VVX450 -> ("VVX", "VVX_450"), SPIP335 -> ("SoundPointIP", "SPIP_335")."""
    match = re.fullmatch(r"(VVX|SPIP|TRIO)(\d+)", model)
    if not match:
        return "VVX", model
    series = {"VVX": "VVX", "SPIP": "SoundPointIP", "TRIO": "Trio"}[match.group(1)]
    prefix = "Trio" if match.group(1) == "TRIO" else match.group(1)
    return series, f"{prefix}_{match.group(2)}"


def poly_vendor_class(model):
    """Poly's binary option 60 (UCS admin guide, "parse vendor ID information"; vendor-facts-more 2.5).

    Enterprise number 13885 (00 00 36 3d), one length octet, then sub-options
    code-length-value: 1 company, 2 model, 3 part number, 4 application version,
    5 BootROM version, and ff to end. The part number and versions are the lab's
    placeholders (a real phone sends its own).
    """
    series, token = poly_model_token(model)
    suboptions = ((1, "Polycom"), (2, f"{series}-{token}"), (3, "0000-00000-000,0"),
                  (4, "SIP/6.4.6.0123/01-Jan-24 00:00"), (5, "BR/6.4.6.0123/01-Jan-24 00:00"))
    body = b"".join(bytes((code, len(text))) + text.encode("ascii") for code, text in suboptions) + b"\xff"
    return bytes.fromhex("0000363d") + bytes((len(body),)) + body


def default_user_agent(identity):
    """The User-Agent forms the phones send (their guides, captures), with this phone's MAC, which servers check."""
    mac = identity.mac
    if identity.vendor == "grandstream":
        return f"Grandstream Model HW {identity.model} SW 1.0.11.16 DevId {mac}"
    if identity.vendor == "cisco_spa":
        return f"Cisco/{identity.model}-7.6.2 ({mac.upper()})({identity.serial})"
    if identity.vendor == "cisco_mpp":
        if identity.is_cisco_ata:
            return f"Cisco/{identity.product_name}-12-0-1 ({mac})"
        return f"Cisco-{identity.model}/12.0.1 ({mac})"
    if identity.vendor == "yealink":
        # Model with SIP- (DECT bases without), firmware, MAC lower case with colons (vendor-facts-more 1.6).
        model = identity.model if identity.model.startswith("W") else f"SIP-{identity.model}"
        return f"Yealink {model} {YEALINK_FIRMWARE.get(identity.model, '108.86.0.90')} {identity.mac_colons}"
    if identity.vendor == "poly":
        # No MAC: the server knows the phone only from the file names it asks for (vendor-facts-more 2.6).
        series, token = poly_model_token(identity.model)
        return f"FileTransport Polycom{series}-{token}-UA/6.4.6.0123 Type/Application"
    if identity.vendor == "snom":
        # The desk phone form of vendor-facts-more 3 (wazo-provd-plugins), MAC upper case without separators;
        # DECT bases write "Snom M900 <version> <mac>".
        if identity.model.startswith("M"):
            return f"Mozilla/4.0 (compatible; Snom {identity.model} 05.20.0001 {mac})"
        return (f"Mozilla/4.0 (compatible; snom{identity.model}-SIP 10.1.169.16 2010.12-00001-gd311851f1 "
                f"(Feb 25 2019 - 14:19:43) {mac.upper()} SXM:0 UXM:0 UXMC:0)")
    if identity.vendor == "fanvil":
        # "Fanvil <model> <version> <mac>" (vendor-facts-more 4, wazo-provd-plugins).
        return f"Fanvil {identity.model} 2.10.2.6887 {mac}"
    return f"Panasonic_{identity.model}/01.133 ({mac})"


# Firmware versions in the User-Agent of a few Yealink models (wazo-provd-plugins' image names);
# other models show the T46U's.
YEALINK_FIRMWARE = {"T46U": "108.86.0.90", "T43U": "108.86.0.90", "T48U": "108.86.0.90", "T42U": "108.86.0.90",
                    "T54W": "96.87.0.15", "T57W": "96.87.0.15", "T53W": "96.87.0.15", "T31G": "124.86.0.75",
                    "T33G": "124.86.0.75", "T58W": "150.87.0.15", "W70B": "146.87.0.21"}


# ---------------------------------------------------------------------------
# Where files are


@dataclasses.dataclass(frozen=True)
class Location:
    """A file or directory on a provisioning server. For TFTP, path is the file name sent as is."""

    scheme: str
    host: str
    port: int | None = None
    path: str = ""
    credentials: tuple[str, str] | None = None

    @property
    def url(self):
        host = f"[{self.host}]" if ":" in self.host else self.host
        port = f":{self.port}" if self.port else ""
        user = f"{self.credentials[0]}:{MASK}@" if self.credentials else ""
        return f"{self.scheme}://{user}{host}{port}/{self.path.lstrip('/')}"

    def join(self, name):
        """The file NAME in this directory; a server without a path gets NAME exactly as the phone sends it."""
        if self.path.strip("/"):
            path = self.path.rstrip("/") + "/" + name.lstrip("/")
        else:
            path = name
        return dataclasses.replace(self, path=path)

    def parent(self):
        return dataclasses.replace(self, path=self.path.rsplit("/", 1)[0] if "/" in self.path else "")

    def names_a_file(self):
        """A URL whose last segment has a dot names a file (ata192.cfg), anything else a server or directory."""
        return "." in self.path.rstrip("/").rsplit("/", 1)[-1] and not self.path.endswith("/")


def parse_location(text, default_scheme="tftp"):
    """tftp/http/https URL; without a scheme, host[:port][/path] on DEFAULT_SCHEME (the phones' rule)."""
    text = text.strip()
    if not text:
        raise PhoneError("empty server address")
    if not re.match(r"[A-Za-z][A-Za-z0-9+.-]*://", text):
        text = f"{default_scheme}://{text}"
    parts = urllib.parse.urlsplit(text)
    scheme = parts.scheme.lower()
    if scheme not in SCHEMES:
        raise PhoneError(f"{scheme}:// is not a scheme this phone fetches with (tftp, http, https)")
    try:
        port = parts.port
    except ValueError:
        raise PhoneError(f"bad port in {parts.netloc!r}")
    if not parts.hostname:
        raise PhoneError(f"no server in {scheme}:// address")
    credentials = None
    if parts.username is not None:
        credentials = (urllib.parse.unquote(parts.username), urllib.parse.unquote(parts.password or ""))
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    return Location(scheme, parts.hostname, port, path, credentials)


def is_ip_address(text):
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


# ---------------------------------------------------------------------------
# DHCP with the real dhclient

# Option names of dhclient for the options the phones use; dhclient passes
# option NAME to its script as new_NAME, with "-" turned into "_".
DHCLIENT_CONF = """\
# dhclient configuration of a virtual phone (lab/virtual_phone.py)
option sipfleet-tftp-servers code 150 = array of ip-address;
option sipfleet-option-159 code 159 = string;
option sipfleet-option-160 code 160 = string;
timeout {timeout};
{send_vendor_class}request subnet-mask, routers, tftp-server-name, vendor-encapsulated-options,
        sipfleet-tftp-servers, sipfleet-option-159, sipfleet-option-160;
"""

# The lease script. It does what a phone does with a lease (address, default
# route) and writes the lease for the virtual phone to read; unlike Debian's
# dhclient-script it never touches /etc/resolv.conf, which the namespace shares
# with the host. On STOP (dhclient -x) it leaves the address in place.
DHCLIENT_SCRIPT = """\
#!/bin/sh
PATH=/usr/sbin:/usr/bin:/sbin:/bin
case "$reason" in
BOUND|RENEW|REBIND|REBOOT)
    ip -4 addr replace "$new_ip_address/${{new_subnet_mask:-255.255.255.255}}" dev "$interface" || exit 1
    if [ -n "$new_routers" ]; then
        set -- $new_routers
        ip -4 route replace default via "$1" dev "$interface"
    fi
    env | grep -E '^(new_[A-Za-z0-9_]+|reason|interface)=' >{lease}.tmp && mv {lease}.tmp {lease}
    ;;
esac
exit 0
"""


def dhclient_unescape(value):
    """Bytes of a value dhclient passed to its script: it writes \\ooo for unprintable bytes and \\X for $ " ' ` \\."""
    out = bytearray()
    index = 0
    while index < len(value):
        char = value[index]
        if char == "\\" and index + 1 < len(value):
            if re.fullmatch(r"[0-7]{3}", value[index + 1:index + 4]):
                out.append(int(value[index + 1:index + 4], 8))
                index += 4
                continue
            char = value[index + 1]
            index += 1
        out += char.encode("latin-1")
        index += 1
    return bytes(out)


def dhclient_hex(value):
    """dhclient prints a string option that has unprintable bytes as colon-separated hex (1:16:68:...)."""
    if ":" in value and re.fullmatch(r"[0-9a-f]{1,2}(?::[0-9a-f]{1,2})+", value):
        return bytes(int(part, 16) for part in value.split(":"))
    return None


def option_text(data):
    """Text of an option; dnsmasq ends option 66 with a NUL, which is not part of the name."""
    return data.rstrip(b"\0").decode("utf-8", "replace")


def parse_suboptions(data):
    """[(code, bytes)] of encapsulated options (option 43), or None when DATA is not code-length-value."""
    suboptions = []
    index = 0
    while index < len(data):
        code = data[index]
        if code == 0:
            index += 1
            continue
        if code == 255:
            break
        if index + 1 >= len(data) or index + 2 + data[index + 1] > len(data):
            return None
        length = data[index + 1]
        suboptions.append((code, data[index + 2:index + 2 + length]))
        index += 2 + length
    return suboptions


@dataclasses.dataclass
class Lease:
    address: str
    routers: list
    server: str
    lease_time: str
    options: dict             # DHCP option code -> text (66, 159, 160), bytes (43), list of addresses (150)
    seconds: float


class DhcpClient:
    """The real dhclient on the phone's interface, kept running (it renews) until stop()."""

    def __init__(self, interface, identity, timeout, workdir):
        self.interface = interface
        self.identity = identity
        self.timeout = timeout
        self.files = {name: os.path.join(workdir, f"dhclient.{name}") for name in ("conf", "script", "leases", "pid", "lease", "log")}
        self.pid = None

    def ip(self, *args):
        result = run_quiet(["ip", *args])
        if result.returncode != 0:
            message = result.stderr.decode("utf-8", "replace").strip()
            raise PhoneError(f"ip {' '.join(args)}: {message}")

    def obtain(self):
        started = time.monotonic()
        # A phone boots with its own MAC and no address.
        self.ip("link", "set", "dev", self.interface, "down")
        self.ip("link", "set", "dev", self.interface, "address", self.identity.mac_colons)
        self.ip("link", "set", "dev", self.interface, "up")
        self.ip("-4", "addr", "flush", "dev", self.interface)
        with open(self.files["conf"], "w") as handle:
            # A text option 60 is quoted; Poly's binary one goes as colon-separated hex bytes; none
            # at all where the vendor's is unknown (Yealink, Fanvil: the DHCP server matches the MAC's OUI).
            vendor_class = self.identity.vendor_class if self.identity.vendor_class_hex else f'"{self.identity.vendor_class}"'
            send = f"send vendor-class-identifier {vendor_class};\n" if self.identity.vendor_class else ""
            handle.write(DHCLIENT_CONF.format(timeout=self.timeout, send_vendor_class=send))
        with open(self.files["script"], "w") as handle:
            handle.write(DHCLIENT_SCRIPT.format(lease=shlex.quote(self.files["lease"])))
        os.chmod(self.files["script"], 0o700)
        for name in ("lease", "leases", "pid"):
            if os.path.exists(self.files[name]):
                os.unlink(self.files[name])
        command = ["dhclient", "-1", "-v", "-cf", self.files["conf"], "-sf", self.files["script"],
                   "-lf", self.files["leases"], "-pf", self.files["pid"], self.interface]
        # Output to a file, not a pipe: the dhclient that holds the lease runs
        # on in the background and would keep a pipe open.
        with open(self.files["log"], "wb") as log:
            try:
                result = subprocess.run(command, stdout=log, stderr=subprocess.STDOUT, timeout=self.timeout + 15, check=False)
            except FileNotFoundError:
                raise PhoneError("dhclient is not installed (Debian: isc-dhcp-client)")
            except subprocess.TimeoutExpired:
                raise PhoneError(f"DHCP: dhclient did not finish within {self.timeout + 15} s")
        if result.returncode != 0 or not os.path.exists(self.files["lease"]):
            raise PhoneError(f"DHCP: no lease on {self.interface} within {self.timeout} s with vendor class "
                             f"{self.identity.vendor_class!r} (dhclient: {self.log_tail()})")
        self.pid = self.wait_for_pid()
        return self.read_lease(time.monotonic() - started)

    def log_tail(self):
        try:
            with open(self.files["log"], "rb") as handle:
                lines = handle.read().decode("utf-8", "replace").strip().splitlines()
        except OSError:
            return "no output"
        return lines[-1] if lines else "no output"

    def wait_for_pid(self):
        # The dhclient that keeps the lease writes its pid file after the one we ran has exited.
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            try:
                with open(self.files["pid"]) as handle:
                    return int(handle.read().strip())
            except (OSError, ValueError):
                time.sleep(0.05)
        return None

    def read_lease(self, seconds):
        env = {}
        with open(self.files["lease"], "rb") as handle:
            for line in handle.read().decode("latin-1").splitlines():
                name, sep, value = line.partition("=")
                if sep:
                    env[name] = value
        options = {}
        if env.get("new_tftp_server_name"):
            options[66] = option_text(dhclient_unescape(env["new_tftp_server_name"]))
        if env.get("new_vendor_encapsulated_options"):
            value = env["new_vendor_encapsulated_options"]
            options[43] = dhclient_hex(value) or dhclient_unescape(value)
        if env.get("new_sipfleet_tftp_servers"):
            options[150] = env["new_sipfleet_tftp_servers"].split()
        for code in (159, 160):
            value = env.get(f"new_sipfleet_option_{code}")
            if value:
                data = dhclient_hex(value)
                # Option 159 may be a server address: four raw bytes.
                if data is not None and len(data) == 4:
                    options[code] = str(ipaddress.IPv4Address(data))
                else:
                    options[code] = option_text(data if data is not None else dhclient_unescape(value))
        mask = env.get("new_subnet_mask", "255.255.255.255")
        prefix = ipaddress.IPv4Network(f"0.0.0.0/{mask}").prefixlen
        return Lease(address=f"{env.get('new_ip_address', '?')}/{prefix}", routers=env.get("new_routers", "").split(),
                     server=env.get("new_dhcp_server_identifier", ""), lease_time=env.get("new_dhcp_lease_time", ""),
                     options=options, seconds=seconds)

    def stop(self):
        """Stop the dhclient we started, without a release (a phone that is switched off sends none)."""
        if not self.pid:
            return
        try:
            run_quiet(["dhclient", "-x", "-cf", self.files["conf"], "-sf", self.files["script"],
                       "-lf", self.files["leases"], "-pf", self.files["pid"], self.interface], timeout=15)
        except subprocess.TimeoutExpired:
            pass        # the SIGTERM below stops it
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and process_exists(self.pid):
            time.sleep(0.05)
        if process_exists(self.pid):
            os.kill(self.pid, signal.SIGTERM)
        self.pid = None


def process_exists(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def options_from_arguments(values):
    """DHCP options given on the command line instead of a DHCP exchange."""
    options = {}
    for code, value in values:
        if code == 43:
            try:
                options[43] = bytes.fromhex(value.replace(":", ""))
            except ValueError:
                raise UsageError(f"--dhcp-option 43={value}: give option 43 as hex")
        elif code == 150:
            options[150] = [part.strip() for part in value.split(",") if part.strip()]
        else:
            options[code] = value
    return options


def describe_option(code, value):
    if code == 43:
        suboptions = parse_suboptions(value)
        if suboptions is None:
            return f"{value.hex(':')} (not sub-options)"
        return ", ".join(f"{sub}={describe_suboption(data)}" for sub, data in suboptions)
    if code == 150:
        return " ".join(value)
    return value


def describe_suboption(data):
    if data and data.isascii() and data.decode("ascii").isprintable():
        return json.dumps(data.decode("ascii"))
    return data.hex(":")


# ---------------------------------------------------------------------------
# Fetching with the real clients


@dataclasses.dataclass
class Download:
    location: Location
    path: str       # the fetched file, kept in the work directory
    data: bytes


class Fetcher:
    """Fetches files with tftp (tftp-hpa) and curl as the phone would, and records every request."""

    def __init__(self, identity, names, tls, timeout, workdir):
        self.identity = identity
        self.names = names          # host name -> address (the lab's DNS A records)
        self.tls = tls              # curl's --cacert/--cert/--key
        self.timeout = timeout
        self.workdir = workdir
        self.requests = []

    def address(self, host):
        if is_ip_address(host):
            return host
        # The lab's DNS is --resolve: no query leaves for the resolvers the namespace shares with the host.
        if host.lower() in self.names:
            return self.names[host.lower()]
        raise PhoneError(f"no address for {host}: give --resolve {host}=ADDRESS")

    def fetch(self, location, purpose, basic=None, refused_ok=False):
        """The file's Download, or None when the server does not have it (TFTP error 1, HTTP 404).

        BASIC (user, password): HTTP basic credentials sent with the request itself, as a phone with a
        provisioning user sends them (no unauthenticated try first). REFUSED_OK: an HTTP 401 or 403 is
        recorded as "refused" and answered None instead of ending the boot.
        """
        number = len(self.requests) + 1
        name = re.sub(r"[^A-Za-z0-9._-]", "_", location.path.rsplit("/", 1)[-1]) or "index"
        local = os.path.join(self.workdir, f"{number:02d}-{name}")
        record = {"number": number, "protocol": location.scheme, "url": location.url, "purpose": purpose}
        if basic is not None:
            record["http_user"] = basic[0]
        self.requests.append(record)
        started = time.monotonic()
        try:
            if location.scheme == "tftp":
                status, error = self.tftp(location, local)
            else:
                status, error = self.http(location, local, basic)
        except PhoneError as failure:
            status, error = None, str(failure)
        record["seconds"] = round(time.monotonic() - started, 3)
        record["status"] = status
        if error and refused_ok and status in (401, 403):
            record["result"] = "refused"
            record["error"] = error
            return None
        if error:
            record["result"] = "error"
            record["error"] = error
            raise PhoneError(f"{purpose}: {location.url}: {error}")
        if status in (404, "error 1", "empty file"):
            record["result"] = "not found"
            return None
        with open(local, "rb") as handle:
            data = handle.read()
        record.update(result="ok", bytes=len(data), sha256=sha256_hex(data))
        return Download(location, local, data)

    def tftp(self, location, local):
        if not location.path.strip("/"):
            raise PhoneError("no file name")
        command = ["tftp", "-m", "binary", self.address(location.host)]
        if location.port:
            command.append(str(location.port))
        command += ["-c", "get", location.path, local]
        try:
            result = run_quiet(command, timeout=self.timeout)
        except subprocess.TimeoutExpired:
            return None, f"no answer from the TFTP server within {self.timeout} s"
        output = (result.stdout + result.stderr).decode("utf-8", "replace").strip()
        # tftp-hpa exits 0 after a server error and leaves an empty local file: its message tells.
        match = re.search(r"Error code (\d+): (.*)", output)
        if match:
            # Error 1 is "file not found".
            status = f"error {match.group(1)}"
            return status, None if status == "error 1" else f"TFTP error {match.group(1)}: {match.group(2).strip()}"
        if result.returncode != 0 or output:
            return None, f"tftp failed: {output.splitlines()[0] if output else f'exit status {result.returncode}'}"
        if not os.path.exists(local) or os.path.getsize(local) == 0:
            return "empty file", None
        return "ok", None

    def http(self, location, local, basic=None):
        port = location.port or DEFAULT_PORTS[location.scheme]
        command = ["curl", "-sS", "--proto", "=http,https", "--proto-redir", "=http,https",
                   "-o", local, "-w", "%{http_code}", "-A", self.identity.user_agent,
                   "--connect-timeout", str(min(5, self.timeout)), "--max-time", str(self.timeout),
                   # The phones follow 301/302 at once (Cisco ATA19x provisioning guide).
                   "--location", "--max-redirs", "3",
                   "--resolve", f"{location.host}:{port}:{self.address(location.host)}"]
        if location.scheme == "https":
            for option in ("cacert", "cert", "key"):
                if self.tls.get(option):
                    command += [f"--{option}", self.tls[option]]
        config = ""
        if location.credentials:
            # On curl's standard input, not its command line, where ps would show the password.
            user = ":".join(location.credentials).replace("\\", "\\\\").replace('"', '\\"')
            config = f'user = "{user}"\nanyauth\n'
            command += ["--config", "-"]
        elif basic is not None:
            # curl -u, preemptive Basic: on its standard input too.
            user = ":".join(basic).replace("\\", "\\\\").replace('"', '\\"')
            config = f'user = "{user}"\nbasic\n'
            command += ["--config", "-"]
        command.append(dataclasses.replace(location, credentials=None).url)
        try:
            result = run_quiet(command, input=config.encode(), timeout=self.timeout + 5)
        except subprocess.TimeoutExpired:
            return None, f"no answer within {self.timeout} s"
        if result.returncode != 0:
            # curl's own line ("curl: (60) SSL certificate problem: ..."), not the advice it prints after it.
            lines = result.stderr.decode("utf-8", "replace").strip().splitlines()
            reasons = [line for line in lines if line.startswith("curl: (")]
            return None, (reasons or lines or [f"curl exit status {result.returncode}"])[0]
        status = int(result.stdout.decode().strip() or 0)
        if status == 200:
            return 200, None
        if status == 404:
            return 404, None
        # Cisco ATA19x guide: any status but 200 and 404 (after redirects and authentication) is a connection error.
        return status, f"HTTP status {status}"


def openssl_decrypt(path, password, digest, base64_text=False):
    """Plain bytes of an openssl enc -aes-256-cbc file, decrypted by the real openssl CLI.

    The password goes to openssl on its standard input (-pass stdin), where ps cannot show it.
    """
    command = ["openssl", "enc", "-d", "-aes-256-cbc", "-md", digest, "-pass", "stdin", "-in", path]
    if base64_text:
        command.append("-a")
        with open(path, "rb") as handle:
            if max((len(line) for line in handle.read().splitlines()), default=0) > 76:
                command.append("-A")     # one long base64 line
    result = run_quiet(command, input=password.encode("utf-8") + b"\n", timeout=30)
    if result.returncode != 0:
        # openssl 3 also warns about the one-iteration key derivation the phones use: not the reason.
        lines = [line for line in result.stderr.decode("utf-8", "replace").splitlines()
                 if line.strip() and "deprecated key derivation" not in line and "-iter or -pbkdf2" not in line]
        reason = lines[0].strip() if lines else f"exit status {result.returncode}"
        raise DecryptError(reason)
    return result.stdout


# ---------------------------------------------------------------------------
# The phones


class Phone:
    """What every vendor's phone shares: its configuration, the files it applied, the report's summary."""

    title = ""
    dhcp_preference = (66,)
    secret_names = frozenset()
    secret_pattern = None
    # The parameters that deliver the key encrypted files are read with: a plain file
    # carrying one the phone already holds was fetched in vain.
    key_names = ()

    def __init__(self, identity, fetcher, configuration, dhcp_options):
        self.identity = identity
        self.fetcher = fetcher
        self.config = dict(configuration)   # what the phone has: earlier boots, then this one
        self.applied = {}                   # the parameters this boot applied, in order
        self.access = {}                    # Cisco ua attributes
        self.files = []
        self.notes = []
        self.warnings = []
        self.source = None                  # the DHCP option the server came from
        self.device_profile = None          # URL of the device-specific profile, once applied
        self.failure = None                 # why the boot ended without it, when no PhoneError says so
        self.lease_address = ""             # for the Cisco $IP macro
        self.dhcp_options = dhcp_options    # options given on the command line instead of DHCP
        # Every secret value the phone held during the boot, for the report to mask: a rotation
        # replaces GPP_B, yet the old directory still shows in the URL fetched before.
        self.seen_secrets = set()
        self.remember_secrets(self.config)
        # The virtual clock: a resync cycle does not wait, it adds the interval the phone's files set.
        self.clock_minutes = 0.0
        self.cycle_number = 0
        self.cycles = []                    # one record per boot or resync cycle
        self.in_vain = []                   # this cycle's requests that brought nothing the phone needed
        self.run_applied = {}               # every parameter the files of this run applied
        self.first_account = None           # {requests, minutes} when a SIP account with its password was applied
        self.directory = None               # the phonebook last fetched: {url, entries, names}
        self.master_location = None         # Poly: the master's location, beside which its directory is

    def boot(self, options):
        raise NotImplementedError

    def resync(self, options):
        """A periodic check: by default the files of a boot again (the phone keeps its lease)."""
        self.boot(options)

    def next_check(self, failed):
        """(minutes until the next periodic check, or None when the phone makes none; what set it)."""
        raise NotImplementedError

    def start_cycle(self, number):
        self.cycle_number = number
        self.device_profile = None
        self.failure = None
        self.in_vain = []
        self.download_failed = False        # a file the phone's configuration names was missing or unreadable
        self.cycle_start = (len(self.fetcher.requests), len(self.files))
        self.config_before_cycle = dict(self.config)

    def end_cycle(self, error):
        """Record the cycle that just ended; ERROR is the PhoneError that ended it early, if any."""
        first_request, first_file = self.cycle_start
        requests = self.fetcher.requests[first_request:]
        for request in requests:
            request["cycle"] = self.cycle_number
        for applied in self.files[first_file:]:
            applied["cycle"] = self.cycle_number
        reached = error is None and self.failure is None and self.device_profile is not None
        for request in requests:
            if request["result"] == "not found" and self.not_found_in_vain(request, reached):
                self.in_vain.append({"url": request["url"], "why": "not found: the phone asks for it again at every check"})
        self.cycles.append({
            "cycle": self.cycle_number, "kind": "boot" if self.cycle_number == 0 else "resync",
            "minute": round(self.clock_minutes, 2), "requests": len(requests),
            "fetched": [request["url"] for request in requests if request["result"] == "ok"],
            "not_found": [request["url"] for request in requests if request["result"] == "not found"],
            "device_profile": self.device_profile if reached else None,
            "failure": error or self.failure or (None if reached else "no device-specific profile applied"),
            "account_held": self.holds_account(), "account_applied_by_then": self.first_account is not None,
            "in_vain": self.in_vain, "download_failed": error is not None or self.download_failed,
        })
        return reached

    def not_found_in_vain(self, request, reached):
        """A 404 the phone will repeat at every check; vendors that probe a list of names override it."""
        return True

    def account_names(self):
        """[(extension parameter, password parameter)] of each line."""
        raise NotImplementedError

    def holds_account(self):
        return any(self.config.get(extension) and self.config.get(password) for extension, password in self.account_names())

    def note_applied(self, params, download, encrypted):
        """Bookkeeping of one applied file: a key carrier fetched again in vain, the first SIP account."""
        for name in self.key_names:
            value = params.get(name)
            if value and not encrypted and value == self.config_before_cycle.get(name):
                self.in_vain.append({"url": download.location.url,
                                     "why": f"key carrier fetched again: the phone already holds this {name}"})
        self.run_applied.update(params)
        if self.first_account is None and any(self.run_applied.get(extension) and self.run_applied.get(password)
                                              for extension, password in self.account_names()):
            self.first_account = {"requests": len(self.fetcher.requests), "minutes": round(self.clock_minutes, 2),
                                  "cycle": self.cycle_number, "url": download.location.url}

    def summary(self):
        raise NotImplementedError

    def is_secret(self, name):
        return name in self.secret_names or bool(self.secret_pattern and self.secret_pattern.search(name))

    def remember_secrets(self, params):
        self.seen_secrets.update(value for name, value in params.items() if value and self.is_secret(name))

    def secret_values(self):
        return sorted(self.seen_secrets)

    def apply(self, params, download, role, encrypted=False):
        self.remember_secrets(params)
        self.note_applied(params, download, encrypted)
        for name, value in params.items():
            self.config[name] = value
            self.applied.pop(name, None)
            self.applied[name] = value
        self.files.append({"url": download.location.url, "role": role, "encrypted": encrypted, "parameters": len(params)})

    def provisioning_option(self, options):
        """(code, value) of the first option of the vendor's preference that DHCP sent."""
        for code in self.dhcp_preference:
            value = options.get(code)
            if code == 43 and value:
                value = dict(parse_suboptions(value) or []).get(1)
                value = option_text(value) if value else None
            elif code == 150 and value:
                value = value[0]
            if value:
                self.source = {"option": code, "value": value}
                others = [str(other) for other in self.dhcp_preference if other != code and options.get(other)]
                if others:
                    self.notes.append(f"server from option {code}, not {', '.join(others)}: "
                                      f"a {self.title} phone prefers {', '.join(map(str, self.dhcp_preference))} in this order")
                return code, value
        return None

    def decrypt(self, download, password, what, base64_text=False):
        if not password:
            raise PhoneError(f"{download.location.url}: encrypted, but the phone has no {what} to decrypt it")
        try:
            return openssl_decrypt(download.path, password, self.identity.digest, base64_text)
        except DecryptError as error:
            raise PhoneError(f"{download.location.url}: openssl enc -d -aes-256-cbc -md {self.identity.digest} with {what} "
                             f"failed: {error} (wrong key or digest, or not an encrypted file)")

    def secret_view(self, name):
        value = self.config.get(name)
        if value is None:
            return None
        return MASK if value else ""

    def line_entry(self, number, enabled, extension, auth_user, display_name, password_name, sip_server):
        password = self.config.get(password_name)
        entry = {"line": number, "enabled": enabled, "extension": extension, "auth_user": auth_user,
                 "display_name": display_name, "sip_server": sip_server, "password": self.secret_view(password_name)}
        if password:
            entry["password_sha256"] = sha256_hex(password)
        return entry

    def admin_entry(self, summary, name):
        summary["admin_password"] = self.secret_view(name)
        if self.config.get(name):
            summary["admin_password_sha256"] = sha256_hex(self.config[name])

    def http_credentials_entry(self, summary, user_name, password_name):
        """The HTTP basic credentials the phone holds for its provisioning server (None: none)."""
        user, password = self.config.get(user_name), self.config.get(password_name)
        summary["http_credentials"] = None
        if user and password:
            summary["http_credentials"] = {"user": user, "password": MASK, "password_sha256": sha256_hex(password)}

    # The directory and the function keys: what a user of the phone would see.

    def directory_location(self):
        """(Location, format) of the phonebook the phone's configuration points at, or None (no pointer)."""
        return None

    def fetch_directory(self):
        """After a boot or check that applied the device profile: fetch the phonebook and parse it.

        The phone has no cache the lab trusts: a pointer that leads nowhere (not found, refused, not
        the format) fails the cycle, as a user would find an empty directory.
        """
        found = self.directory_location()
        if found is None:
            return
        location, kind = found
        download = self.fetch_phonebook(location)
        if download is None:
            request = self.fetcher.requests[-1]
            raise PhoneError(f"directory {request['url']}: {'not found' if request['result'] == 'not found' else request['error']}")
        self.read_directory(download, kind)

    def fetch_phonebook(self, location):
        return self.fetcher.fetch(location, "directory")

    def read_directory(self, download, kind):
        entries = parse_directory(download.data, download.location.url, kind)
        self.directory = {"url": download.location.url, "format": kind, "entries": len(entries),
                          "names": [name for name, dummy in entries[:DIRECTORY_NAMES_SHOWN]]}
        self.files.append({"url": download.location.url, "role": "directory", "encrypted": False, "parameters": 0,
                           "entries": len(entries)})

    def function_keys(self):
        """[{index, type, label, value, line}] of the keys the configuration programs, by index ([] when none)."""
        return []


# --- Directories (remote phonebooks)

# How many names of a directory the report shows.
DIRECTORY_NAMES_SHOWN = 3
# Each format: root element, the path of an entry below it, the name's elements (joined), the number's element.
# Sources: docs/vendors/<family>.md, section Directory (Grandstream <AddressBook>, Cisco
# <CiscoIPPhoneDirectory>, Yealink <YealinkIPPhoneDirectory>, Poly <directory><item_list>, Snom <tbook>).
DIRECTORY_FORMATS = {
    "grandstream": ("AddressBook", "Contact", ("FirstName", "LastName"), "Phone/phonenumber"),
    "cisco": ("CiscoIPPhoneDirectory", "DirectoryEntry", ("Name",), "Telephone"),
    "yealink": ("YealinkIPPhoneDirectory", "DirectoryEntry", ("Name",), "Telephone"),
    "poly": ("directory", "item_list/item", ("fn", "ln"), "ct"),
    "snom": ("tbook", "item", ("first_name", "last_name"), "number"),
}


def parse_directory(data, url, kind):
    """[(name, number)] of a phonebook file, one per entry; a file the phone could not list is a PhoneError."""
    root_tag, entry_path, name_tags, number_path = DIRECTORY_FORMATS[kind]
    try:
        root = ET.fromstring(data)
    except ET.ParseError as error:
        raise PhoneError(f"directory {url}: not XML: {error}")
    if root.tag != root_tag:
        raise PhoneError(f"directory {url}: <{root.tag}>, not the <{root_tag}> a {kind} phone reads")
    entries = []
    for number, entry in enumerate(root.findall(entry_path), 1):
        name = " ".join((entry.findtext(tag) or "").strip() for tag in name_tags if (entry.findtext(tag) or "").strip())
        phone_number = (entry.findtext(number_path) or "").strip()
        if not name or not phone_number:
            raise PhoneError(f"directory {url}: entry {number} has no {'name' if not name else 'number'}")
        entries.append((name, phone_number))
    if not entries:
        raise PhoneError(f"directory {url}: no entry")
    return entries


# --- Grandstream

# Accounts 1-6: active, account name, SIP server, user ID, authenticate ID, password, display name.
GS_ACCOUNTS = (
    ("P271", "P270", "P47", "P35", "P36", "P34", "P3"),
    ("P401", "P417", "P402", "P404", "P405", "P406", "P407"),
    ("P501", "P517", "P502", "P504", "P505", "P506", "P507"),
    ("P601", "P617", "P602", "P604", "P605", "P606", "P607"),
    ("P1701", "P1717", "P1702", "P1704", "P1705", "P1706", "P1707"),
    ("P1801", "P1817", "P1802", "P1804", "P1805", "P1806", "P1807"),
)
# P2 admin password, P196 end-user password, P1359 XML config file password,
# P1361 config server HTTP password, and the account passwords.
GS_SECRETS = frozenset({"P2", "P196", "P1359", "P1361"} | {account[5] for account in GS_ACCOUNTS})
# P212 "config upgrade via" (newer firmware); 3 and 4 are FTP and FTPS, which this phone does not fetch with.
GS_SCHEMES = {"0": "tftp", "1": "http", "2": "https"}
# Models whose firmware reads only the legacy binary format (the gxp_legacy template family).
GS_LEGACY_MODELS = frozenset({"GXP1200", "GXP280", "GXP285", "GXP2000", "GXP2010", "GXP2020"})
# Phonebook XML download (P330): 0 off, 1 HTTP, 2 TFTP, 3 HTTPS; P331 the server's host/path, where the
# phone asks for phonebook.xml (docs/vendors/grandstream.md, Directory).
GS_PHONEBOOK_SCHEMES = {"1": "http", "2": "tftp", "3": "https"}
# Virtual multi-purpose keys (the XML templates' "Programmable Keys", gxp21xx 1.0.11.16 and grp261x
# 1.0.5.15): VPK 1-6 mode/account/description/value P1363/P1364/P1465/P1466, two apart each; VPK 7 on
# P23800-P23803, four apart each. The first VPKs of a model are "fixed" (the only ones that can be a
# line key); their modes differ from the dynamic VPKs' on the GXP21xx.
GS_FIXED_VPKS = {"GRP2612": 4, "GRP2613": 6, "GRP2614": 4, "GRP2615": 5, "GRP2616": 6,
                 "GXP2130": 3, "GXP2135": 8, "GXP2140": 4, "GXP2160": 6, "GXP2170": 12}
GS_GRP_MODES = {"-1": "none", "0": "speed_dial", "1": "blf", "5": "dtmf", "8": "transfer", "9": "park", "31": "line"}
GS_GXP_FIXED_MODES = {"-1": "none", "0": "line", "10": "speed_dial", "11": "blf", "15": "dtmf", "18": "transfer", "19": "park"}
GS_GXP_DYNAMIC_MODES = {"-1": "none", "0": "speed_dial", "1": "blf", "5": "dtmf", "8": "transfer", "9": "park"}
# The highest VPK number looked at (GRP2670 has 48).
GS_MAX_VPKS = 48


def gs_vpk_params(number):
    """(mode, account, description, value) P-values of VPK NUMBER."""
    if number <= 6:
        step = 2 * (number - 1)
        return f"P{1363 + step}", f"P{1364 + step}", f"P{1465 + step}", f"P{1466 + step}"
    base = 23800 + 4 * (number - 7)
    return tuple(f"P{base + offset}" for offset in range(4))


def parse_grandstream_legacy(data, url, mac):
    """P-values of a legacy binary cfg<mac> file, after checking length, checksum, MAC and framing."""
    if len(data) < 16 or len(data) % 2:
        raise PhoneError(f"{url}: {len(data)} bytes: not a legacy binary config file")
    words = int.from_bytes(data[0:4], "big")
    if words * 2 != len(data):
        raise PhoneError(f"{url}: the length field says {words * 2} bytes, the file has {len(data)}: refused")
    total = sum(int.from_bytes(data[index:index + 2], "big") for index in range(0, len(data), 2)) % 65536
    if total:
        raise PhoneError(f"{url}: bad checksum (the 16-bit words sum to {total:#06x}, not 0): refused")
    if data[6:12].hex() != mac:
        raise PhoneError(f"{url} is for MAC {data[6:12].hex()}, not for this phone ({mac}): refused")
    if data[12:16] != b"\r\n\r\n":
        raise PhoneError(f"{url}: no CR LF CR LF after the MAC: refused")
    try:
        body = data[16:].rstrip(b"\0").decode("ascii")
    except UnicodeDecodeError:
        raise PhoneError(f"{url}: the body is not URL-encoded ASCII: refused")
    pairs = body.split("&")
    if pairs[-1] != "gnkey=0b82":
        raise PhoneError(f"{url}: the body does not end with gnkey=0b82: refused")
    params = {}
    for pair in pairs[:-1]:
        name, sep, value = pair.partition("=")
        if not sep or not re.fullmatch(r"P[1-9][0-9]*", name):
            raise PhoneError(f"{url}: {name[:20]!r} is not a P-value assignment: refused")
        try:
            params[name] = urllib.parse.unquote(value, errors="strict")
        except UnicodeDecodeError:
            raise PhoneError(f"{url}: the value of {name} is not UTF-8 once URL-decoded: refused")
    return params


def parse_grandstream_xml(data, url, mac, encrypted):
    try:
        root = ET.fromstring(data)
    except ET.ParseError as error:
        hint = " (wrong P1359 or digest?)" if encrypted else ""
        raise PhoneError(f"{url}: not XML{hint}: {error}")
    if root.tag != "gs_provision":
        raise PhoneError(f"{url}: the root element is <{root.tag}>, not <gs_provision>: refused")
    mac_element = root.find("mac")
    if mac_element is not None:
        file_mac = re.sub(r"[^0-9a-f]", "", (mac_element.text or "").lower())
        if file_mac != mac:
            raise PhoneError(f"{url} is for MAC {file_mac or '(empty)'}, not for this phone ({mac}): refused")
    config = root.find("config")
    if config is None:
        raise PhoneError(f"{url}: no <config> element: refused")
    params = {}
    for element in config:
        if not re.fullmatch(r"P[1-9][0-9]*", element.tag):
            raise PhoneError(f"{url}: <{element.tag}> is not a P-value: refused")
        params[element.tag] = element.text or ""
    return params


class GrandstreamPhone(Phone):
    title = "Grandstream"
    # Option 66 on every model; option 43 (sub-option 1) on newer GXP/GRP.
    dhcp_preference = (66, 43)
    secret_names = GS_SECRETS
    key_names = ("P1359",)

    def account_names(self):
        return [(account[3], account[5]) for account in GS_ACCOUNTS]

    def not_found_in_vain(self, request, reached):
        # Every check walks the same list of names (legacy binary, then the XML names) and takes the
        # first one found: the names before it answer 404 by design, unless none is found at all.
        return not reached

    def next_check(self, failed):
        """P194 automatic upgrade: 0 no, 1 every P193 minutes, 2 daily, 3 weekly (Grandstream guide)."""
        mode = self.config.get("P194")
        if mode is None:
            return None, "no P194 (automatic upgrade): the phone checks only when it boots"
        if mode == "0":
            return None, "P194=0: no automatic check"
        if mode == "1":
            try:
                minutes = int(self.config.get("P193", "10080"))
            except ValueError:
                raise PhoneError(f"P193={self.config.get('P193')!r} is not a number of minutes")
            return minutes, f"P194=1, P193={minutes}"
        if mode in ("2", "3"):
            return (1440 if mode == "2" else 10080), f"P194={mode} ({'daily' if mode == '2' else 'weekly'})"
        raise PhoneError(f"P194={mode!r}: not an automatic upgrade mode (0-3)")

    def boot(self, options):
        server = self.server_at_boot(options)
        if self.identity.model.upper() in GS_LEGACY_MODELS:
            self.boot_legacy_model(server)
            return
        download, params = self.fetch_legacy(server, "bootstrap (legacy binary)")
        if download is not None:
            server = self.server_after(server, params)
        self.fetch_xml(server)

    def server_at_boot(self, options):
        found = self.provisioning_option(options)
        dhcp_server = parse_location(found[1]) if found else None
        # P145 (default 1) lets the DHCP option override the config server the phone has in P237.
        if dhcp_server and (self.config.get("P145", "1") != "0" or not self.config.get("P237")):
            self.source["server"] = dhcp_server.url
            return dhcp_server
        if self.config.get("P237"):
            self.notes.append("config server from the stored P237/P212 (P145=0: DHCP does not override it)" if found else
                              "config server from the stored P237/P212")
            return self.pvalue_server("tftp")
        raise PhoneError("no config server: DHCP sent neither option 66 nor option 43, and the phone has no P237")

    def pvalue_server(self, current_scheme):
        path, via = self.config["P237"], self.config.get("P212")
        if re.match(r"[A-Za-z]+://", path):
            return parse_location(path)
        if via is not None and via not in GS_SCHEMES:
            raise PhoneError(f"P212={via}: config upgrade via FTP/FTPS is not something this phone fetches with")
        return parse_location(path, GS_SCHEMES.get(via, current_scheme))

    def server_after(self, server, params):
        """The server after a legacy file: it applies at once, so P237/P212 from it take effect now."""
        if ("P237" in params or "P212" in params) and self.config.get("P237"):
            new_server = self.pvalue_server(server.scheme)
            if new_server != server:
                self.notes.append(f"P237/P212 move the phone to {new_server.url}")
            return new_server
        return server

    def legacy_names(self):
        prefix, postfix = self.config.get("P234", ""), self.config.get("P235", "")
        return [f"{prefix}cfg{self.identity.mac}{postfix}", f"{prefix}cfg{self.identity.mac}.bin{postfix}"]

    def fetch_legacy(self, server, role):
        for name in self.legacy_names():
            download = self.fetcher.fetch(server.join(name), "legacy binary config file")
            if download is not None:
                params = parse_grandstream_legacy(download.data, download.location.url, self.identity.mac)
                self.apply(params, download, role)
                return download, params
        return None, {}

    def boot_legacy_model(self, server):
        for check in range(1, MAX_LEGACY_CHECKS + 1):
            before = (self.legacy_names(), server)
            download, params = self.fetch_legacy(server, "profile (legacy binary)")
            if download is None:
                raise PhoneError(f"no profile: neither {' nor '.join(self.legacy_names())} on {server.url}")
            server = self.server_after(server, params)
            if (self.legacy_names(), server) == before:
                self.device_profile = download.location.url
                return
            # The phone would use its new names or server at its next check (P193); do that check now.
            self.notes.append(f"check {check}: new file names or server; checking again as at the next P193 check")
        raise PhoneError(f"the legacy file moved the phone to new names or servers {MAX_LEGACY_CHECKS} times")

    def fetch_xml(self, server):
        prefix, postfix = self.config.get("P234", ""), self.config.get("P235", "")
        candidates = (("device profile", f"cfg{self.identity.mac}.xml"),
                      ("model profile", f"cfg{self.identity.model.lower()}.xml"),
                      ("generic profile", "cfg.xml"))
        names = [prefix + name + postfix for role, name in candidates]
        for (role, dummy), name in zip(candidates, names):
            download = self.fetcher.fetch(server.join(name), role)
            if download is None:
                continue
            data, encrypted = download.data, download.data.startswith(b"Salted__")
            if encrypted:
                data = self.decrypt(download, self.config.get("P1359"), "P1359 (the XML config file password)")
            params = parse_grandstream_xml(data, download.location.url, self.identity.mac, encrypted)
            # Only one XML file applies: the first one found.
            self.apply(params, download, role, encrypted)
            if role == "device profile":
                self.device_profile = download.location.url
            else:
                self.failure = f"no device profile ({names[0]} not found on {server.url}); applied the {role} {download.location.url}"
            return
        raise PhoneError(f"no XML profile: none of {', '.join(names)} on {server.url}")

    def directory_location(self):
        scheme = GS_PHONEBOOK_SCHEMES.get(self.config.get("P330", "0"))
        path = self.config.get("P331", "").strip().strip("/")
        if scheme is None or not path:
            return None
        return parse_location(f"{scheme}://{path}/phonebook.xml"), "grandstream"

    def function_keys(self):
        model = self.identity.model.upper()
        fixed = GS_FIXED_VPKS.get(model, 0)
        keys = []
        for number in range(1, GS_MAX_VPKS + 1):
            mode, account, description, value = gs_vpk_params(number)
            if mode not in self.config:
                continue
            if model.startswith("GRP"):
                modes = GS_GRP_MODES
            else:
                modes = GS_GXP_FIXED_MODES if number <= fixed else GS_GXP_DYNAMIC_MODES
            kind = modes.get(self.config[mode], f"mode {self.config[mode]}")
            line = int(self.config[account]) + 1 if self.config.get(account, "").isdigit() else None
            keys.append({"index": number, "type": kind, "label": self.config.get(description) or None,
                         "value": self.config.get(value) or None, "line": line})
        return keys

    def summary(self):
        lines = []
        for number, (active, dummy, server, user, auth, password, display) in enumerate(GS_ACCOUNTS, 1):
            if any(name in self.config for name in (active, user, password)):
                lines.append(self.line_entry(number, self.config.get(active) == "1", self.config.get(user),
                                             self.config.get(auth), self.config.get(display), password, self.config.get(server)))
        summary = {"sip_server": self.config.get("P47"), "lines": lines}
        self.admin_entry(summary, "P2")
        return summary


# --- Cisco SPA and MPP


@dataclasses.dataclass
class ProfileRule:
    url: str
    key: str | None = None
    uid: str | None = None
    pwd: str | None = None


def parse_profile_rule(text):
    """[options] URL of the first alternative of a Profile_Rule (alternatives are separated by |)."""
    rule = text.strip().split("|")[0].strip()
    if not rule:
        raise PhoneError("empty Profile_Rule")
    if rule.startswith("("):
        raise PhoneError("conditional or assignment Profile_Rules ( ... )? are not supported by this virtual phone")
    options = []
    if rule.startswith("["):
        end = rule.find("]")
        if end < 0:
            raise PhoneError("Profile_Rule: [ without ]")
        try:
            options = shlex.split(rule[1:end])
        except ValueError as error:
            raise PhoneError(f"Profile_Rule options: {error}")
        rule = rule[end + 1:].strip()
    if not rule or any(char.isspace() for char in rule):
        raise PhoneError("Profile_Rule: the URL is missing or has white space")
    parsed = ProfileRule(url=rule)
    index = 0
    while index < len(options):
        option = options[index]
        takes_value = option in ("--key", "--uid", "--pwd", "--post", "--alias")
        if takes_value and index + 1 >= len(options):
            raise PhoneError(f"Profile_Rule: {option} without a value")
        if option in ("--key", "--uid", "--pwd"):
            setattr(parsed, option[2:], options[index + 1])
        elif not takes_value:
            raise PhoneError(f"Profile_Rule: unknown option {option[:20]!r}")
        index += 2 if takes_value else 1
    return parsed


def parse_flat_profile(data, url, encrypted, warnings):
    """(parameters, ua attributes) of a flat-profile XML file: elements anywhere inside <flat-profile>, last one wins."""
    try:
        root = ET.fromstring(data)
    except ET.ParseError as error:
        hint = " (wrong --key or digest?)" if encrypted else ""
        raise PhoneError(f"{url}: not XML{hint}: {error}")
    profile = root if root.tag == "flat-profile" else root.find(".//flat-profile")
    if profile is None:
        raise PhoneError(f"{url}: no <flat-profile> element: refused")
    params, access = {}, {}
    for element in profile.iter():
        if element is profile or len(element):
            continue
        # The firmware strips leading and trailing white space and turns new lines into spaces.
        value = re.sub(r"\r\n|\r|\n", " ", element.text or "").strip()
        if not value.isascii():
            warnings.append(f"{url}: <{element.tag}> has non-ASCII characters, which the firmware does not read")
        params.pop(element.tag, None)
        params[element.tag] = value
        user_access = element.get("ua")
        if user_access is not None:
            if user_access not in ("na", "ro", "rw"):
                raise PhoneError(f"{url}: <{element.tag} ua={user_access!r}>: ua must be na, ro or rw: refused")
            access[element.tag] = user_access
    return params, access


# Macros a Profile_Rule may use, longest first so $MAU is not read as $MA + U.
CISCO_MACROS = ("SWVER", "HWVER", "MAU", "MAC", "PSN", "MA", "PN", "SN", "IP", "SA", "SB", "SC", "SD") + tuple("ABCDEFGHIJKLMNOP")


class CiscoPhone(Phone):
    secret_pattern = re.compile(r"passw|^GPP_(?:[A-P]|S[A-D])$", re.IGNORECASE)
    key_names = ("GPP_A",)

    def account_names(self):
        numbers = sorted({int(match.group(1)) for name in {*self.config, *self.run_applied}
                          for match in [re.fullmatch(r"User_ID_(\d+)_", name)] if match})
        return [(f"User_ID_{number}_", f"Password_{number}_") for number in numbers]

    def next_check(self, failed):
        """Resync_Periodic seconds after a good resync, Resync_Error_Retry_Delay after a failed one (0: none)."""
        name = "Resync_Error_Retry_Delay" if failed else "Resync_Periodic"
        text = self.config.get(name, "3600")
        try:
            seconds = int(text)
        except ValueError:
            raise PhoneError(f"{name}={text!r} is not a number of seconds")
        if seconds <= 0:
            return None, f"{name}={text}: no periodic resync"
        return seconds / 60, f"{name}={text} s" + ("" if name in self.config else " (factory default)")

    def __init__(self, identity, *args, **kwargs):
        super().__init__(identity, *args, **kwargs)
        self.title = "Cisco SPA" if identity.vendor == "cisco_spa" else "Cisco MPP"
        self.dhcp_preference = (66, 150) if identity.vendor == "cisco_spa" else (66, 160, 159, 150)

    def remember_secrets(self, params):
        super().remember_secrets(params)
        # A literal --key or --pwd in a rule is as secret as GPP_A.
        if params.get("Profile_Rule"):
            self.seen_secrets.update(re.findall(r"--(?:key|pwd)\s+([^\s\]$][^\s\]]*)", params["Profile_Rule"]))

    def macro(self, name, where):
        values = {"MA": self.identity.mac, "MAU": self.identity.mac.upper(), "MAC": self.identity.mac_colons,
                  "PN": self.identity.product_name, "PSN": self.identity.psn, "SN": self.identity.serial,
                  "SWVER": "12.0.1", "HWVER": "1.0.0", "IP": self.lease_address.partition("/")[0]}
        if name in values:
            return values[name]
        if name in CISCO_MACROS:
            return self.config.get(f"GPP_{name}", "")
        raise PhoneError(f"{where}: unknown macro ${name}")

    def expand(self, text, where):
        """Expand $NAME, $(NAME) and $$ as the firmware does."""
        def replace(match):
            if match.group(0) == "$$":
                return "$"
            if match.group(1):
                return self.macro(match.group(1), where)
            letters = match.group(2) or ""
            for name in CISCO_MACROS:
                if letters.startswith(name):
                    return self.macro(name, where) + letters[len(name):]
            raise PhoneError(f"{where}: unknown macro ${letters or '(nothing)'}")
        return re.sub(r"\$\$|\$\((\w+)\)|\$([A-Za-z]*)", replace, text)

    def resolve(self, rule_text, base):
        """(Location, key or None) a rule names now, with the phone's current GPP values."""
        rule = parse_profile_rule(rule_text)
        url = self.expand(rule.url, "Profile_Rule")
        key = None
        if rule.key is not None:
            key = self.expand(rule.key, "Profile_Rule --key")
            if not key:
                raise PhoneError(f"Profile_Rule --key {rule.key} expands to nothing: the phone has no such key")
        if re.match(r"[A-Za-z][A-Za-z0-9+.-]*://", url):
            location = parse_location(url)
        elif url.startswith("/") or "/" not in url:
            # "/spa2102.cfg" and "ata192.cfg" are files on the server DHCP named.
            if base is None:
                raise PhoneError(f"Profile_Rule {url} is relative, but DHCP named no provisioning server")
            location = base.join(url)
        else:
            location = parse_location(url)      # server/path, on TFTP
        if rule.uid is not None or rule.pwd is not None:
            credentials = (self.expand(rule.uid or "", "--uid"), self.expand(rule.pwd or "", "--pwd"))
            location = dataclasses.replace(location, credentials=credentials)
        return location, key

    def starting_rule(self, options):
        """(base server, rule, how the phone came to it)."""
        found = self.provisioning_option(options)
        base, dhcp_rule = None, None
        if found:
            code, value = found
            location = parse_location(self.expand(value, f"DHCP option {code}"))
            if location.names_a_file():
                base, dhcp_rule = location.parent(), value
            else:
                base = location
            self.source["server"] = base.url
        if self.config.get("Profile_Rule"):
            return base, self.config["Profile_Rule"], "stored Profile_Rule"
        if dhcp_rule:
            return base, dhcp_rule, f"profile URL of DHCP option {found[0]}"
        return base, self.identity.factory_rule, f"factory Profile_Rule {self.identity.factory_rule}"

    def names_this_phone(self, url):
        text = url.lower()
        return self.identity.mac in text or self.identity.mac_colons in text

    def boot(self, options):
        base, rule, origin = self.starting_rule(options)
        location, key = self.resolve(rule, base)
        for dummy in range(MAX_PROFILE_FETCHES):
            download = self.fetcher.fetch(location, f"profile ({origin})")
            if download is None:
                raise PhoneError(f"{location.url} not found ({origin}); the phone keeps its configuration and retries at its next resync")
            data = download.data
            if key is not None:
                data = self.decrypt(download, key, "the --key of Profile_Rule")
            compressed = data[:2] == b"\x1f\x8b"
            if compressed:
                try:
                    data = gzip.decompress(data)
                except (OSError, EOFError, zlib.error) as error:
                    raise PhoneError(f"{location.url}: bad gzip data: {error}")
            params, access = parse_flat_profile(data, location.url, key is not None, self.warnings)
            self.apply(params, download, origin, key is not None)
            self.files[-1]["gzip"] = compressed
            self.access.update(access)
            if "Profile_Rule" in params:
                rule = self.config["Profile_Rule"]
            # The rule is expanded again: a profile may change GPP_A/GPP_B (new key, new directory) under the same rule.
            next_location, next_key = self.resolve(rule, base)
            if (next_location, next_key) == (location, key):
                if key is not None or self.names_this_phone(location.url):
                    self.device_profile = location.url
                else:
                    self.failure = (f"the Profile_Rule ends at {location.url}, which is neither encrypted with a key of "
                                    f"this phone nor named after its MAC: no device-specific profile")
                return
            location, key, origin = next_location, next_key, "Profile_Rule"
        raise PhoneError(f"Profile_Rule changed at each of {MAX_PROFILE_FETCHES} fetches: a loop")

    def directory_location(self):
        url = self.config.get("XML_Directory_Service_URL", "").strip()
        if not url:
            return None
        return parse_location(self.expand(url, "XML_Directory_Service_URL")), "cisco"

    def function_keys(self):
        """Line keys n: Extension_n_ (a line number, or Disabled), Short_Name_n_, Extended_Function_n_
        (fnc=blf+sd+cp;sub=USER@HOST or fnc=sd;ext=NUMBER@HOST; docs/vendors/cisco_spa.md, Function keys)."""
        numbers = sorted({int(match.group(1)) for name in self.config
                          for match in [re.fullmatch(r"(?:Extension|Short_Name|Extended_Function)_(\d+)_", name)] if match})
        keys = []
        for number in numbers:
            extension = self.config.get(f"Extension_{number}_", "")
            function = dict(part.partition("=")[::2] for part in self.config.get(f"Extended_Function_{number}_", "").split(";") if part)
            label = self.config.get(f"Short_Name_{number}_") or None
            if function.get("fnc", "").startswith("blf"):
                kind, value = "blf", function.get("sub", "").split("@")[0]
            elif function.get("fnc") == "sd":
                kind, value = "speed_dial", function.get("ext", "").split("@")[0]
            elif extension.isdigit():
                kind, value = "line", None
            elif extension == "Disabled" or not extension:
                kind, value = "none", None
            else:
                kind, value = f"Extension {extension}", None
            keys.append({"index": number, "type": kind, "label": label, "value": value or None,
                         "line": int(extension) if extension.isdigit() else None})
        return keys

    def summary(self):
        numbers = sorted({int(match.group(1)) for name in self.config for match in [re.fullmatch(r"(?:User_ID|Line_Enable)_(\d+)_", name)] if match})
        lines = []
        for number in numbers:
            user = self.config.get(f"User_ID_{number}_")
            auth = self.config.get(f"Auth_ID_{number}_") if self.config.get(f"Use_Auth_ID_{number}_") == "Yes" else user
            lines.append(self.line_entry(number, self.config.get(f"Line_Enable_{number}_", "Yes") == "Yes", user, auth,
                                         self.config.get(f"Display_Name_{number}_"), f"Password_{number}_",
                                         self.config.get(f"Proxy_{number}_")))
        summary = {"sip_server": self.config.get("Proxy_1_"), "lines": lines}
        self.admin_entry(summary, "Admin_Password" if "Admin_Password" in self.config else "Admin_Passwd")
        return summary


# --- Panasonic

PANASONIC_HEADER = "# Panasonic SIP Phone Standard Format File #"
PANASONIC_LINE = re.compile(r'([A-Za-z0-9_]+)="([^"]*)"')
PANASONIC_MAX_LINE = 537
PANASONIC_MAX_TOTAL = 120000


def parse_panasonic(data, url, warnings):
    """NAME="value" parameters of a Panasonic configuration file; a malformed file is refused whole."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise PhoneError(f"{url}: not UTF-8 text: refused")
    lines = text.split("\n")
    if lines[-1] != "":
        raise PhoneError(f"{url}: the last line does not end with CR LF: refused")
    lines.pop()
    for number, line in enumerate(lines, 1):
        if not line.endswith("\r"):
            raise PhoneError(f"{url}: line {number} ends with LF, not CR LF: refused")
    lines = [line[:-1] for line in lines]
    if not lines or PANASONIC_HEADER not in lines[0]:
        raise PhoneError(f"{url}: the first line is not {PANASONIC_HEADER!r}: refused")
    params = {}
    for number, line in enumerate(lines[1:], 2):
        if len(line.encode("utf-8")) > PANASONIC_MAX_LINE:
            warnings.append(f"{url}: line {number} is longer than {PANASONIC_MAX_LINE} bytes: the phone ignores it")
            continue
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        match = PANASONIC_LINE.fullmatch(line)
        if not match:
            # The line is not shown: it may carry a password.
            raise PhoneError(f"{url}: line {number} is not NAME=\"value\": refused")
        if match.group(1) in params:
            warnings.append(f"{url}: {match.group(1)} is set twice (line {number})")
        params[match.group(1)] = match.group(2)
    if lines[-1] != "":
        warnings.append(f"{url}: does not end with an empty line")
    return params


class PanasonicPhone(Phone):
    title = "Panasonic"
    dhcp_preference = (160, 159, 66)
    secret_pattern = re.compile(r"PASS|^CFG_FILE_KEY[0-9]*$")
    key_names = ("CFG_FILE_KEY",)

    def account_names(self):
        return [(f"PHONE_NUMBER_{number}", f"SIP_PASS_{number}") for number in range(1, 17)]

    def next_check(self, failed):
        """CFG_CYCLIC="Y": every CFG_CYCLIC_INTVL minutes; after a failed download, CFG_RTRY_INTVL minutes."""
        if self.config.get("CFG_CYCLIC", "N") != "Y":
            return None, "CFG_CYCLIC is not Y: no cyclic check (the phone downloads only when it boots)"
        name, default = ("CFG_RTRY_INTVL", "30") if failed else ("CFG_CYCLIC_INTVL", "10080")
        text = self.config.get(name, default)
        try:
            minutes = int(text)
        except ValueError:
            raise PhoneError(f"{name}={text!r} is not a number of minutes")
        return minutes, f"{name}={text}" + ("" if name in self.config else " (factory default)")

    def location(self, path):
        return parse_location(path.replace("{MAC}", self.identity.mac.upper()).replace("{MODEL}", self.identity.model))

    def read(self, download, cycle):
        """(parameters, encrypted): a file without the header line is decrypted with the phone's CFG_FILE_KEY."""
        data, encrypted = download.data, False
        if PANASONIC_HEADER.encode() not in data.split(b"\n", 1)[0]:
            key = cycle.get("CFG_FILE_KEY") or self.config.get("CFG_FILE_KEY")
            if not key:
                raise PhoneError(f"{download.location.url}: no {PANASONIC_HEADER!r} line, and the phone has no CFG_FILE_KEY "
                                 "to decrypt it: refused")
            data, encrypted = self.decrypt(download, key, "CFG_FILE_KEY", base64_text=True), True
        return parse_panasonic(data, download.location.url, self.warnings), encrypted

    def apply_first_wins(self, params, download, role, cycle, encrypted):
        self.remember_secrets(params)
        taken = {name: value for name, value in params.items() if name not in cycle}
        self.note_applied(taken, download, encrypted)
        cycle.update(taken)
        self.files.append({"url": download.location.url, "role": role, "encrypted": encrypted,
                           "parameters": len(taken), "ignored": len(params) - len(taken)})
        return len(download.data)

    def boot(self, options):
        """Every boot starts from the server DHCP names (KX-UTG guide, start-up steps 4-8): <MODEL>.cfg, then the files."""
        found = self.provisioning_option(options)
        if not found:
            if not self.config.get("CFG_STANDARD_FILE_PATH"):
                raise PhoneError("DHCP sent none of options 160, 159, 66: the phone has no provisioning server")
            self.notes.append("DHCP named no provisioning server: the phone uses its stored file paths")
        else:
            server = parse_location(found[1])
            self.source["server"] = server.url
            bootstrap = server.join(f"{self.identity.model}.cfg")
            download = self.fetcher.fetch(bootstrap, "bootstrap")
            if download is not None:
                params, encrypted = self.read(download, {})
                self.apply(params, download, "bootstrap", encrypted)
            elif self.config.get("CFG_STANDARD_FILE_PATH"):
                # Start-up step 9: the locally saved configuration applies.
                self.notes.append(f"bootstrap {bootstrap.url} not found: "
                                  "the phone uses its stored file paths")
            else:
                raise PhoneError(f"bootstrap {bootstrap.url} not found")
            if not self.config.get("CFG_STANDARD_FILE_PATH"):
                raise PhoneError(f"{bootstrap.url} sets no CFG_STANDARD_FILE_PATH")
        self.download_files()

    def resync(self, options):
        """A cyclic check: the standard, product and master files the phone's configuration names, no <MODEL>.cfg."""
        self.download_files()

    def download_files(self):
        if not self.config.get("CFG_STANDARD_FILE_PATH"):
            raise PhoneError("the phone has no CFG_STANDARD_FILE_PATH: nothing to check")
        cycle = {}
        total = self.fetch_standard(cycle)
        for name, role in (("CFG_PRODUCT_FILE_PATH", "product file"), ("CFG_MASTER_FILE_PATH", "master file")):
            path = cycle.get(name) or self.config.get(name)
            if not path:
                self.notes.append(f"no {name}: no {role}")
                continue
            download = self.fetcher.fetch(self.location(path), role)
            if download is None:
                self.notes.append(f"{role} {self.location(path).url} not found")
                continue
            params, encrypted = self.read(download, cycle)
            total += self.apply_first_wins(params, download, role, cycle, encrypted)
        if total > PANASONIC_MAX_TOTAL:
            self.warnings.append(f"the files total {total} bytes, over the {PANASONIC_MAX_TOTAL} bytes a KX-UT reads")
        for name, value in cycle.items():
            self.config[name] = value
            self.applied.pop(name, None)
            self.applied[name] = value

    def fetch_standard(self, cycle):
        """Fetch the standard file the phone's configuration names; returns the bytes read.

        A plain key file (CFG_FILE_KEY) that names another standard file is applied, and the
        phone fetches the file it names at its next cyclic check, not now (seed 004, KX-UTG guide).
        """
        location = self.location(self.config["CFG_STANDARD_FILE_PATH"])
        download = self.fetcher.fetch(location, "standard file")
        if download is None:
            self.failure = f"standard file {location.url} not found: the phone keeps its last configuration"
            self.download_failed = True
            return 0
        params, encrypted = self.read(download, cycle)
        next_path = params.get("CFG_STANDARD_FILE_PATH")
        moves = bool(next_path) and self.location(next_path) != location
        is_key_file = "CFG_FILE_KEY" in params and not encrypted and moves
        total = self.apply_first_wins(params, download, "key file" if is_key_file else "standard file", cycle, encrypted)
        if is_key_file:
            interval = cycle.get("CFG_CYCLIC_INTVL") if cycle.get("CFG_CYCLIC", self.config.get("CFG_CYCLIC")) == "Y" else None
            when = f"in {interval} minutes (CFG_CYCLIC_INTVL)" if interval else "never (no CFG_CYCLIC), or at the next boot"
            self.failure = (f"key file {location.url} applied; the phone fetches the encrypted standard file "
                            f"{self.location(next_path).url} at its next cyclic check, {when}")
            return total
        if moves:
            self.notes.append(f"{location.url} names the standard file {self.location(next_path).url} for the next checks")
        self.device_profile = location.url
        return total

    def summary(self):
        numbers = sorted({int(match.group(1)) for name in self.config
                          for match in [re.fullmatch(r"(?:PHONE_NUMBER|SIP_PASS|SIP_AUTHID)_(\d+)", name)] if match})
        lines = []
        for number in numbers:
            server = self.config.get(f"SIP_RGSTR_ADDR_{number}")
            if server and self.config.get(f"SIP_RGSTR_PORT_{number}"):
                server = f"{server}:{self.config[f'SIP_RGSTR_PORT_{number}']}"
            lines.append(self.line_entry(number, bool(self.config.get(f"PHONE_NUMBER_{number}")), self.config.get(f"PHONE_NUMBER_{number}"),
                                         self.config.get(f"SIP_AUTHID_{number}"), self.config.get(f"DISPLAY_NAME_{number}"),
                                         f"SIP_PASS_{number}", server))
        summary = {"sip_server": lines[0]["sip_server"] if lines else None, "lines": lines}
        self.admin_entry(summary, "ADMIN_PASS")
        return summary


# --- Yealink

YEALINK_HEADER = "#!version:1.0.0.1"
YEALINK_KEY = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.\-]*")
YEALINK_INCLUDE = re.compile(r'(?:\[([^\]]*)\])?\s*include:config\s*(?:"([^"]*)"|(\S+))')
# Passwords, AES keys, PINs (docs/vendors/yealink.md, raw parameters).
YEALINK_SECRET = re.compile(r"password|aes_key|(?:^|[._])pin(?:[._]|$)", re.IGNORECASE)
# The parameters that make the phone a provisioning client with HTTP credentials (the brief's design:
# <mac>-bootstrap.cfg sets them; the phone sends them on every later request).
YEALINK_HTTP_USER = "static.auto_provision.server.username"
YEALINK_HTTP_PASSWORD = "static.auto_provision.server.password"
# Checked at every periodic check of the boot's files; the factory value was not found (1440 assumed).
YEALINK_DEFAULT_REPEAT_MINUTES = "1440"


def yealink_lines(data, url, warnings):
    """The lines after the #!version:1.0.0.1 header, which must be the first line (Yealink's guides)."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise PhoneError(f"{url}: not UTF-8 text: refused")
    if "\r" in text:
        warnings.append(f"{url}: CR LF line ends (the collection writes LF)")
        text = text.replace("\r\n", "\n")
    lines = text.split("\n")
    if lines[0] != YEALINK_HEADER:
        raise PhoneError(f"{url}: the first line is not {YEALINK_HEADER!r}: refused")
    return list(enumerate(lines[1:], 2))


def parse_yealink_cfg(data, url, warnings):
    """key = value parameters of a Yealink .cfg file; the last assignment of a key in the file wins.

    static.security.user_password = USER:PASSWORD is kept once per USER, as
    static.security.user_password.USER (the key repeats with the user inside the value).
    """
    params = {}
    for number, line in yealink_lines(data, url, warnings):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        name, sep, value = line.partition("=")
        name, value = name.strip(), value.strip()
        if not sep or not YEALINK_KEY.fullmatch(name):
            # The line is not shown: it may carry a password.
            raise PhoneError(f"{url}: line {number} is not key = value: refused")
        if name == "static.security.user_password":
            user, colon, password = value.partition(":")
            if not colon or not user:
                raise PhoneError(f"{url}: line {number}: static.security.user_password is not USER:PASSWORD: refused")
            name, value = f"{name}.{user}", password
        if name in params:
            warnings.append(f"{url}: {name} is set twice (line {number}); the later value counts")
        params[name] = value
    return params


def parse_yealink_boot(data, url, model, warnings):
    """(include paths for this model in order, key = value settings) of a Yealink .boot file."""
    includes, settings = [], {}
    for number, line in yealink_lines(data, url, warnings):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        match = YEALINK_INCLUDE.fullmatch(stripped)
        if match:
            models, path = match.group(1), match.group(2) if match.group(2) is not None else match.group(3)
            if not path.endswith(".cfg"):
                raise PhoneError(f"{url}: line {number}: include:config must name a .cfg file: refused")
            # [T46S, T23G]include:config ... applies to those models only.
            if models is not None and model not in [item.strip().upper() for item in models.split(",")]:
                continue
            includes.append(path)
            continue
        name, sep, value = stripped.partition("=")
        if sep and name.strip() in ("overwrite_mode", "static.specific_model.excluded_mode"):
            settings[name.strip()] = value.strip()
            continue
        raise PhoneError(f"{url}: line {number} is neither include:config nor a boot-file setting: refused")
    return includes, settings


# linekey.K.type codes (docs/vendors/yealink.md, Function keys: wazo-provd-plugins v87, FusionPBX's key list).
YEALINK_KEY_TYPES = {"15": "line", "16": "blf", "13": "speed_dial", "10": "park", "3": "transfer", "11": "dtmf",
                     "17": "url", "0": "none"}


class YealinkPhone(Phone):
    """Firmware 81 and later: <mac>.boot (else y000000000000.boot), then each include:config in order."""

    title = "Yealink"
    # Priority custom option > 66 > 43 (T5 Admin Guide p.27); no custom option is configured on a new phone.
    dhcp_preference = (66, 43)
    secret_pattern = YEALINK_SECRET
    key_names = (YEALINK_HTTP_PASSWORD,)

    def account_names(self):
        numbers = sorted({int(match.group(1)) for name in {*self.config, *self.run_applied}
                          for match in [re.fullmatch(r"account\.(\d+)\.user_name", name)] if match})
        return [(f"account.{number}.user_name", f"account.{number}.password") for number in numbers]

    def credentials(self):
        """The HTTP basic credentials the phone sends, once a file gave it both (None before)."""
        user, password = self.config.get(YEALINK_HTTP_USER), self.config.get(YEALINK_HTTP_PASSWORD)
        return (user, password) if user and password else None

    def next_check(self, failed):
        """static.auto_provision.repeat.enable = 1: every .repeat.minutes minutes."""
        if self.config.get("static.auto_provision.repeat.enable") != "1":
            return None, "static.auto_provision.repeat.enable is not 1: the phone checks only when it boots"
        text = self.config.get("static.auto_provision.repeat.minutes", YEALINK_DEFAULT_REPEAT_MINUTES)
        try:
            minutes = int(text)
        except ValueError:
            raise PhoneError(f"static.auto_provision.repeat.minutes={text!r} is not a number of minutes")
        return minutes, f"static.auto_provision.repeat.minutes={text}"

    def server(self, options):
        found = self.provisioning_option(options)
        if found:
            server = parse_location(found[1])
            self.source["server"] = server.url
            return server
        if self.config.get("static.auto_provision.server.url"):
            self.notes.append("provisioning server from the stored static.auto_provision.server.url")
            return parse_location(self.config["static.auto_provision.server.url"])
        raise PhoneError("no provisioning server: DHCP sent neither option 66 nor option 43, and the phone has no "
                         "static.auto_provision.server.url")

    def fetch(self, location, purpose):
        credentials = self.credentials() if location.scheme != "tftp" else None
        return self.fetcher.fetch(location, purpose, basic=credentials, refused_ok=True)

    def boot(self, options):
        server = self.server(options)
        boot_file = None
        for name in (f"{self.identity.mac}.boot", "y000000000000.boot"):
            boot_file = self.fetch(server.join(name), "boot file")
            if boot_file is not None:
                break
            if self.fetcher.requests[-1]["result"] == "refused":
                raise PhoneError(f"{self.fetcher.requests[-1]['url']}: {self.fetcher.requests[-1]['error']}")
        if boot_file is None:
            # Firmware before 81 would fetch y0000000000xx.cfg and <mac>.cfg: not emulated.
            raise PhoneError(f"no boot file: neither {self.identity.mac}.boot nor y000000000000.boot on {server.url}")
        includes, settings = parse_yealink_boot(boot_file.data, boot_file.location.url, self.identity.model, self.warnings)
        self.apply(settings, boot_file, "boot file")
        if not includes:
            raise PhoneError(f"{boot_file.location.url} includes no configuration file for a {self.identity.model}")
        missing, device_file = [], None
        for path in includes:
            location = parse_location(path) if re.match(r"[A-Za-z]+://", path) else boot_file.location.parent().join(path)
            # The credentials a file of this pass set count from the next request on (the collection's assumption).
            download = self.fetch(location, "configuration file")
            if download is None:
                request = self.fetcher.requests[-1]
                missing.append(f"{request['url']} ({'not found' if request['result'] == 'not found' else request['error']})")
                continue
            params = parse_yealink_cfg(download.data, download.location.url, self.warnings)
            # Later files override earlier ones (Yealink's guides).
            self.apply(params, download, "configuration file")
            if self.identity.mac in download.location.path.rsplit("/", 1)[-1].lower():
                device_file = download.location.url
        if missing:
            self.download_failed = True
            self.failure = f"the phone went on without {'; '.join(missing)}"
        elif device_file is None:
            self.failure = f"{boot_file.location.url} names no file of this phone's MAC"
        else:
            self.device_profile = device_file

    def directory_location(self):
        url = self.config.get("remote_phonebook.data.1.url", "").strip()
        return (parse_location(url, "http"), "yealink") if url else None

    def fetch_phonebook(self, location):
        # Sent with the phone's HTTP credentials, as every request of a phone that holds them.
        download = self.fetch(location, "directory")
        return download

    def function_keys(self):
        numbers = sorted({int(match.group(1)) for name in self.config for match in [re.fullmatch(r"linekey\.(\d+)\.type", name)] if match})
        keys = []
        for number in numbers:
            code = self.config[f"linekey.{number}.type"]
            line = self.config.get(f"linekey.{number}.line", "")
            keys.append({"index": number, "type": YEALINK_KEY_TYPES.get(code, f"type {code}"),
                         "label": self.config.get(f"linekey.{number}.label") or None,
                         "value": self.config.get(f"linekey.{number}.value") or None,
                         "line": int(line) if line.isdigit() else None})
        return keys

    def summary(self):
        lines = []
        for extension, password in self.account_names():
            prefix = extension[:-len("user_name")]
            server = self.config.get(f"{prefix}sip_server.1.address")
            if server and self.config.get(f"{prefix}sip_server.1.port"):
                server = f"{server}:{self.config[f'{prefix}sip_server.1.port']}"
            lines.append(self.line_entry(int(prefix.split(".")[1]), self.config.get(f"{prefix}enable", "1") == "1",
                                         # Without an auth name the phone authenticates as its user name.
                                         self.config.get(extension), self.config.get(f"{prefix}auth_name") or self.config.get(extension),
                                         self.config.get(f"{prefix}display_name"), password, server))
        summary = {"sip_server": lines[0]["sip_server"] if lines else None, "lines": lines}
        self.admin_entry(summary, "static.security.user_password.admin")
        self.http_credentials_entry(summary, YEALINK_HTTP_USER, YEALINK_HTTP_PASSWORD)
        return summary


# --- Poly

POLY_MASTER = "000000000000.cfg"
POLY_DIRECTORY = "000000000000-directory.xml"
# attendant.resourceList.K.type: a monitored user, a park orbit (Engineering Advisory 62475, docs/vendors/poly.md).
POLY_RESOURCE_TYPES = {"normal": "blf", "automata": "park"}
POLY_SECRET = re.compile(r"password|configEncryption", re.IGNORECASE)
POLY_HTTP_USER = "device.prov.user"
POLY_HTTP_PASSWORD = "device.prov.password"
# A changed device.* value restarts the phone, which boots again; more restarts than this is a loop.
MAX_POLY_RESTARTS = 3
# prov.polling.period default (seconds; Trio guide p.174).
POLY_DEFAULT_POLL_SECONDS = "86400"


def parse_poly_xml(data, url):
    """The root element of a Poly XML file (master or configuration file)."""
    try:
        return ET.fromstring(data)
    except ET.ParseError as error:
        raise PhoneError(f"{url}: not XML: {error}")


def parse_poly_master(data, url, mac, warnings):
    """(APP_FILE_PATH, [configuration file names]) of a master file; [PHONE_MAC_ADDRESS] is this phone's MAC."""
    root = parse_poly_xml(data, url)
    application = root if root.tag == "APPLICATION" else root.find(".//APPLICATION")
    if application is None:
        raise PhoneError(f"{url}: no <APPLICATION> element: not a master configuration file: refused")
    for child in application:
        if child.tag.startswith("APPLICATION_"):
            warnings.append(f"{url}: per-model <{child.tag}> overrides are not read by this virtual phone")
    app_file = application.get("APP_FILE_PATH", "")
    listed = application.get("CONFIG_FILES", "")
    # SIP 2.x Admin Guide p.14: APP_FILE_PATH and each file at most 255 characters, the list at most 2047.
    if len(app_file) > 255 or len(listed) > 2047:
        raise PhoneError(f"{url}: APP_FILE_PATH or CONFIG_FILES longer than the phone reads (255 / 2047): refused")
    names = [name.strip().replace("[PHONE_MAC_ADDRESS]", mac) for name in listed.split(",") if name.strip()]
    if any(len(name) > 255 for name in names):
        raise PhoneError(f"{url}: a CONFIG_FILES entry is longer than 255 characters: refused")
    return app_file, names


def parse_poly_config(data, url, warnings):
    """name="value" parameters of a Poly configuration file: every attribute of every element (they only group)."""
    root = parse_poly_xml(data, url)
    if root.tag == "APPLICATION" or root.find(".//APPLICATION") is not None:
        raise PhoneError(f"{url}: a master file (<APPLICATION>) listed in CONFIG_FILES: refused")
    params = {}
    for element in root.iter():
        for name, value in element.attrib.items():
            if name in params:
                warnings.append(f"{url}: {name} is set twice in the file; the first value counts")
                continue
            params[name] = value
    return params


def is_device_value(name):
    """A device.* parameter with a value (not device.set, not a .set switch)."""
    return name.startswith("device.") and name != "device.set" and not name.endswith(".set")


class PolyPhone(Phone):
    """UC Software: master (<mac>.cfg, else 000000000000.cfg), then CONFIG_FILES left to right, first file wins."""

    title = "Poly"
    # Boot server source 0 (default): option 66 (SIP 2.2.2 guide p.3-8).
    dhcp_preference = (66,)
    secret_pattern = POLY_SECRET
    key_names = (POLY_HTTP_PASSWORD,)

    def account_names(self):
        numbers = sorted({int(match.group(1)) for name in {*self.config, *self.run_applied}
                          for match in [re.fullmatch(r"reg\.(\d+)\.address", name)] if match})
        return [(f"reg.{number}.address", f"reg.{number}.auth.password") for number in numbers]

    def is_secret(self, name):
        # device.prov.password.set is the switch, not the password.
        return not name.endswith(".set") and super().is_secret(name)

    def credentials(self):
        user, password = self.config.get(POLY_HTTP_USER), self.config.get(POLY_HTTP_PASSWORD)
        return (user, password) if user and password else None

    def not_found_in_vain(self, request, reached):
        # The phone looks for a master (and a directory) of its own first, then the default one: its documented order.
        return not (request["purpose"] in ("own master configuration file", "own directory") and reached)

    def next_check(self, failed):
        """prov.polling.enabled = 1: every prov.polling.period seconds (mode rel), daily (mode abs, the default)."""
        if self.config.get("prov.polling.enabled") != "1":
            return None, "prov.polling.enabled is not 1: the phone checks only when it boots"
        if self.config.get("prov.polling.mode", "abs") == "abs":
            return 1440, "prov.polling.mode=abs: once a day"
        text = self.config.get("prov.polling.period", POLY_DEFAULT_POLL_SECONDS)
        try:
            seconds = int(text)
        except ValueError:
            raise PhoneError(f"prov.polling.period={text!r} is not a number of seconds")
        return seconds / 60, f"prov.polling.period={text} s"

    def fetch(self, location, purpose):
        credentials = self.credentials() if location.scheme != "tftp" else None
        return self.fetcher.fetch(location, purpose, basic=credentials, refused_ok=True)

    def boot_server(self, options):
        """(server directory, master file name or None): option 66, or the stored device.prov.serverName."""
        stored = self.config.get("device.prov.serverName")
        scheme = self.config.get("device.prov.serverType", "TFTP").lower()
        static = self.config.get("device.dhcp.bootSrvUseOpt") in ("Static", "2")
        found = None if static and stored else self.provisioning_option(options)
        if found:
            location = parse_location(found[1], scheme if scheme in SCHEMES else "tftp")
            master = None
            # Option 66 may name the master file itself (ending .cfg, 5 characters or more).
            if location.names_a_file() and location.path.endswith(".cfg") and len(location.path.rsplit("/", 1)[-1]) >= 5:
                master, location = location.path.rsplit("/", 1)[-1], location.parent()
            self.source["server"] = location.url
            return location, master
        if stored:
            self.notes.append("boot server from the stored device.prov.serverName"
                              + (" (device.dhcp.bootSrvUseOpt Static)" if static else ""))
            return parse_location(stored, scheme if scheme in SCHEMES else "tftp"), None
        raise PhoneError("no boot server: DHCP sent no option 66, and the phone has no device.prov.serverName")

    def boot(self, options):
        for restart in range(MAX_POLY_RESTARTS + 1):
            changed = self.boot_pass(options)
            if not changed:
                return
            self.notes.append(f"{', '.join(changed)} changed: the phone restarts and boots again")
        raise PhoneError(f"device.* values changed at each of {MAX_POLY_RESTARTS + 1} boots: a restart loop")

    def boot_pass(self, options):
        """One boot: master, then CONFIG_FILES; returns the device.* values it changed (the phone then restarts)."""
        self.device_profile, self.failure = None, None
        server, named = self.boot_server(options)
        candidates = [(named, "master configuration file (option 66)")] if named else [
            (f"{self.identity.mac}.cfg", "own master configuration file"), (POLY_MASTER, "default master configuration file")]
        master = None
        for name, purpose in candidates:
            master = self.fetch(server.join(name), purpose)
            if master is not None:
                break
            if self.fetcher.requests[-1]["result"] == "refused":
                raise PhoneError(f"{self.fetcher.requests[-1]['url']}: {self.fetcher.requests[-1]['error']}")
        if master is None:
            raise PhoneError(f"no master configuration file: none of {', '.join(name for name, dummy in candidates)} on {server.url}")
        self.master_location = master.location
        app_file, names = parse_poly_master(master.data, master.location.url, self.identity.mac, self.warnings)
        self.apply({}, master, "master")
        note = f"APP_FILE_PATH {app_file}: the firmware image, not fetched by this virtual phone"
        if app_file and note not in self.notes:
            self.notes.append(note)
        before = dict(self.config)
        cycle, missing, device_file = {}, [], None
        for name in names:
            location = parse_location(name) if re.match(r"[A-Za-z]+://", name) else master.location.parent().join(name)
            download = self.fetch(location, "configuration file")
            if download is None:
                request = self.fetcher.requests[-1]
                missing.append(f"{request['url']} ({'not found' if request['result'] == 'not found' else request['error']})")
                continue
            params = parse_poly_config(download.data, download.location.url, self.warnings)
            # The first file that sets a parameter wins (SIP 1.4 Admin Guide p.12).
            self.remember_secrets(params)
            taken = {key: value for key, value in params.items() if key not in cycle}
            self.note_applied(taken, download, False)
            cycle.update(taken)
            self.files.append({"url": download.location.url, "role": "configuration file", "encrypted": False,
                               "parameters": len(taken), "ignored": len(params) - len(taken)})
            if self.identity.mac in download.location.path.rsplit("/", 1)[-1].lower():
                device_file = download.location.url
        # device.* values take effect only with device.set="1" and their own .set="1" (CX5100 guide p.46).
        ignored = [key for key in cycle if is_device_value(key)
                   and (cycle.get("device.set") != "1" or cycle.get(f"{key}.set") != "1")]
        if ignored:
            self.notes.append(f"ignored without device.set=\"1\" and their .set=\"1\": {', '.join(ignored)}")
        for key, value in cycle.items():
            if key in ignored:
                continue
            self.config[key] = value
            self.applied.pop(key, None)
            self.applied[key] = value
        if missing:
            self.download_failed = True
            self.failure = f"the phone went on without {'; '.join(missing)}"
        elif device_file is None:
            self.failure = f"{master.location.url} lists no file of this phone's MAC"
        else:
            self.device_profile = device_file
        return [key for key in cycle if is_device_value(key) and key not in ignored and before.get(key) != cycle[key]]

    def fetch_directory(self):
        """<mac>-directory.xml (the phone's own, uploaded when its user edits a contact), else
        000000000000-directory.xml, beside the master (docs/vendors/poly.md, Directory). Neither served: the
        phone shows an empty directory; one refused or unreadable fails the cycle."""
        if self.master_location is None:
            return
        for name, purpose in ((f"{self.identity.mac}-directory.xml", "own directory"), (POLY_DIRECTORY, "directory")):
            download = self.fetch(self.master_location.parent().join(name), purpose)
            if download is not None:
                self.read_directory(download, "poly")
                return
            request = self.fetcher.requests[-1]
            if request["result"] != "not found":
                raise PhoneError(f"directory {request['url']}: {request['error']}")
        self.notes.append(f"no directory: neither {self.identity.mac}-directory.xml nor {POLY_DIRECTORY} beside the master")

    def function_keys(self):
        """The line keys of the registrations first (reg.N.lineKeys, default 1), then the attendant's resources
        (attendant.resourceList.K.*: type normal a BLF, automata a park orbit; docs/vendors/poly.md)."""
        resources = sorted({int(match.group(1)) for name in self.config
                            for match in [re.fullmatch(r"attendant\.resourceList\.(\d+)\.address", name)] if match})
        registrations = sorted({int(match.group(1)) for name in self.config
                                for match in [re.fullmatch(r"reg\.(\d+)\.address", name)] if match and self.config[name]})
        if not resources and not any(f"reg.{number}.lineKeys" in self.config for number in registrations):
            return []
        keys = []
        for number in registrations:
            count = self.config.get(f"reg.{number}.lineKeys", "1")
            for dummy in range(int(count) if count.isdigit() else 1):
                keys.append({"index": len(keys) + 1, "type": "line", "label": self.config.get(f"reg.{number}.label") or None,
                             "value": None, "line": number})
        offset = len(keys)
        for number in resources:
            prefix = f"attendant.resourceList.{number}."
            address = self.config.get(prefix + "address", "")
            kind = POLY_RESOURCE_TYPES.get(self.config.get(prefix + "type", "normal"), self.config.get(prefix + "type"))
            keys.append({"index": offset + number, "type": kind if address else "none",
                         "label": self.config.get(prefix + "label") or None, "value": address or None, "line": None})
        return keys

    def summary(self):
        lines = []
        for extension, password in self.account_names():
            prefix = extension[:-len("address")]
            server = self.config.get(f"{prefix}server.1.address")
            if server and self.config.get(f"{prefix}server.1.port"):
                server = f"{server}:{self.config[f'{prefix}server.1.port']}"
            lines.append(self.line_entry(int(prefix.split(".")[1]), bool(self.config.get(extension)), self.config.get(extension),
                                         self.config.get(f"{prefix}auth.userId") or self.config.get(extension),
                                         self.config.get(f"{prefix}displayName"),
                                         password, server))
        summary = {"sip_server": lines[0]["sip_server"] if lines else None, "lines": lines}
        self.admin_entry(summary, "device.auth.localAdminPassword")
        self.http_credentials_entry(summary, POLY_HTTP_USER, POLY_HTTP_PASSWORD)
        return summary


# --- Snom

SNOM_SECRET = re.compile(r"(?:^|_)(?:pass|password|passwd|pw|pin|secret|hash)(?:_|$|\[)", re.IGNORECASE)
# The HTTP authentication the phone sends for its settings (docs/vendors/snom.md): set by the bootstrap.
SNOM_HTTP_USER = "http_client_user"
SNOM_HTTP_PASSWORD = "http_client_pass"
# Containers of one boot, with the files they name: a longer chain is a loop.
MAX_SNOM_FILES = 12


def parse_snom_xml(data, url):
    try:
        return ET.fromstring(data)
    except ET.ParseError as error:
        raise PhoneError(f"{url}: not XML: {error}")


def parse_snom_container(data, url):
    """The file URLs of a <setting-files> container, in order."""
    root = parse_snom_xml(data, url)
    if root.tag != "setting-files":
        raise PhoneError(f"{url}: not a <setting-files> container: refused")
    urls = []
    for element in root:
        if element.tag != "file" or not element.get("url"):
            raise PhoneError(f"{url}: <{element.tag}> in a container is not <file url=...>: refused")
        urls.append(element.get("url"))
    return urls


def parse_snom_settings(data, url, warnings):
    """name (name[idx] for an indexed one; fkey[idx] for a function key) -> value of a <settings> file."""
    root = parse_snom_xml(data, url)
    if root.tag != "settings":
        raise PhoneError(f"{url}: not a <settings> file: refused")
    params = {}
    for group in root:
        if group.tag not in ("phone-settings", "functionKeys"):
            warnings.append(f"{url}: <{group.tag}> is not read by this virtual phone")
            continue
        for element in group:
            if group.tag == "functionKeys" and element.tag != "fkey":
                raise PhoneError(f"{url}: <{element.tag}> in <functionKeys>: refused")
            perm = element.get("perm")
            if perm not in (None, "", "!", "&", "R", "RW", "$", " "):
                raise PhoneError(f"{url}: <{element.tag}> has perm={perm!r}, not one Snom documents: refused")
            name = element.tag if element.get("idx") is None else f"{element.tag}[{element.get('idx')}]"
            if name in params:
                warnings.append(f"{url}: {name} is set twice in the file; the later value counts")
            params[name] = element.text or ""
    return params


class SnomPhone(Phone):
    """<phoneType>.htm, then <phoneType>-<MAC>.htm on its setting server; each container's files in order."""

    title = "Snom"
    # Option 43 (encapsulating 66/67) wins over 66 (docs/vendors/snom.md, First contact).
    dhcp_preference = (43, 66)
    secret_pattern = SNOM_SECRET
    key_names = (SNOM_HTTP_PASSWORD,)

    @property
    def phone_type(self):
        return f"snom{self.identity.model}"

    def account_names(self):
        numbers = sorted({int(match.group(1)) for name in {*self.config, *self.run_applied}
                          for match in [re.fullmatch(r"user_name\[(\d+)\]", name)] if match})
        return [(f"user_name[{number}]", f"user_pass[{number}]") for number in numbers]

    def credentials(self):
        user, password = self.config.get(SNOM_HTTP_USER), self.config.get(SNOM_HTTP_PASSWORD)
        return (user, password) if user and password else None

    def next_check(self, failed):
        """settings_refresh_timer (seconds; 0 or unset: none)."""
        text = self.config.get("settings_refresh_timer", "0")
        try:
            seconds = int(text)
        except ValueError:
            raise PhoneError(f"settings_refresh_timer={text!r} is not a number of seconds")
        if seconds <= 0:
            return None, "settings_refresh_timer is 0 or unset: the phone checks only when it boots"
        return seconds / 60, f"settings_refresh_timer={text} s"

    def provisioning_option(self, options):
        """Option 43 with sub-options 66 (server) and 67 (file) wins; else option 66."""
        value = options.get(43)
        suboptions = dict(parse_suboptions(value) or []) if value else {}
        if suboptions.get(66):
            server = option_text(suboptions[66]) + (option_text(suboptions[67]) if suboptions.get(67) else "")
            self.source = {"option": 43, "value": server}
            return 43, server
        if options.get(66):
            self.source = {"option": 66, "value": options[66]}
            return 66, options[66]
        return None

    def server(self, options):
        found = self.provisioning_option(options)
        if found:
            server = parse_location(found[1], "http")
            self.source["server"] = server.url
            return server
        if self.config.get("setting_server"):
            self.notes.append("setting server from the stored setting_server")
            return parse_location(self.config["setting_server"], "http")
        # A factory-new phone would ask Snom's redirection service: not emulated.
        raise PhoneError("no setting server: DHCP sent neither option 43 nor 66, and the phone has no setting_server")

    def fetch(self, location, purpose):
        credentials = self.credentials() if location.scheme != "tftp" else None
        return self.fetcher.fetch(location, purpose, basic=credentials, refused_ok=True)

    def boot(self, options):
        server = self.server(options)
        if server.names_a_file():
            containers = [(server, "setting file (DHCP)")]
        else:
            containers = [(server.join(f"{self.phone_type}.htm"), "model container"),
                          (server.join(f"{self.phone_type}-{self.identity.mac.upper()}.htm"), "device container")]
        missing, device_file, fetched = [], None, 0
        for location, purpose in containers:
            download = self.fetch(location, purpose)
            if download is None:
                request = self.fetcher.requests[-1]
                missing.append(f"{request['url']} ({'not found' if request['result'] == 'not found' else request['error']})")
                continue
            self.apply({}, download, purpose)
            for url in parse_snom_container(download.data, download.location.url):
                fetched += 1
                if fetched > MAX_SNOM_FILES:
                    raise PhoneError(f"more than {MAX_SNOM_FILES} files named by the containers of one boot")
                if "-firmware" in url.rsplit("/", 1)[-1]:
                    # Snom's page: the firmware file must not be named in a container.
                    self.warnings.append(f"{download.location.url} names the firmware file {url}")
                target = parse_location(url, "http")
                # Credentials a file of this pass set count from the next request on (the collection's assumption).
                settings = self.fetch(target, "settings file")
                if settings is None:
                    request = self.fetcher.requests[-1]
                    missing.append(f"{request['url']} ({'not found' if request['result'] == 'not found' else request['error']})")
                    continue
                if parse_snom_xml(settings.data, settings.location.url).tag == "tbook":
                    # A file holding only the phonebook (docs/vendors/snom.md, Directory).
                    self.read_directory(settings, "snom")
                    continue
                params = parse_snom_settings(settings.data, settings.location.url, self.warnings)
                # No precedence is documented: a later file overrides (the collection never sets one twice).
                self.apply(params, settings, "settings file")
                name = settings.location.path.rsplit("/", 1)[-1].lower()
                if self.identity.mac in name and "bootstrap" not in name:
                    device_file = settings.location.url
        if self.config.get("firmware_status"):
            note = f"firmware_status {self.config['firmware_status']}: the firmware file, not fetched by this virtual phone"
            if note not in self.notes:
                self.notes.append(note)
        if missing:
            self.download_failed = True
            self.failure = f"the phone went on without {'; '.join(missing)}"
        elif device_file is None:
            self.failure = "the containers name no settings file of this phone's MAC"
        else:
            self.device_profile = device_file

    def summary(self):
        lines = []
        for extension, password in self.account_names():
            number = extension[len("user_name["):-1]
            lines.append(self.line_entry(int(number), self.config.get(f"user_active[{number}]", "on") == "on",
                                         self.config.get(extension), self.config.get(f"user_pname[{number}]") or self.config.get(extension),
                                         self.config.get(f"user_realname[{number}]"), password,
                                         self.config.get(f"user_host[{number}]")))
        summary = {"sip_server": lines[0]["sip_server"] if lines else None, "lines": lines}
        self.admin_entry(summary, "http_pass")
        self.http_credentials_entry(summary, SNOM_HTTP_USER, SNOM_HTTP_PASSWORD)
        return summary


# --- Fanvil

FANVIL_SECRET = re.compile(r"(?:Pswd|Passwd|Password|_Key)$|(?:Pswd|Passwd|Password)\b")
# The download credentials the bootstrap sets (docs/vendors/fanvil.md): sent as basic authentication.
FANVIL_HTTP_USER = "AUTOUPDATE_CONFIG_MODULE.Download_Username"
FANVIL_HTTP_PASSWORD = "AUTOUPDATE_CONFIG_MODULE.Download_Password"
FANVIL_FILE_NAME = "AUTOUPDATE_CONFIG_MODULE.Config_File_Name"
FANVIL_SERVER = "AUTOUPDATE_CONFIG_MODULE.Download_Server_IP"
# Model files of the models whose name a source gives (wazo-provd-plugins' COMMON_FILES).
FANVIL_MODEL_FILES = {"X3S": "f0X3shw1.100.cfg", "X4": "f0X4hw1.100.cfg", "X5S": "F0V00X5S0000.cfg",
                      "X6": "F0V00X600000.cfg", "H2U-V2": "F0V2UV200000.cfg"}
# The periodic check's codes and unit are in no source: the lab phone checks once a day (assumed).
FANVIL_DEFAULT_CHECK_MINUTES = 1440
# A file that names the next file (Config_File_Name): a longer chain is a loop.
MAX_FANVIL_FILES = 3


def parse_fanvil(data, url, warnings):
    """module.element (module.list.entry[ID].element for a list entry) -> value of a <VOIP_CONFIG_FILE>."""
    try:
        root = ET.fromstring(data)
    except ET.ParseError as error:
        raise PhoneError(f"{url}: not XML: {error}")
    if root.tag != "VOIP_CONFIG_FILE":
        # <sysConf> files are not emulated: the lab's Fanvil phone reads form A (http_credentials needs it).
        raise PhoneError(f"{url}: <{root.tag}>, not <VOIP_CONFIG_FILE>: this virtual phone reads that form only")
    params = {}

    def walk(element, prefix):
        children = list(element)
        if not children:
            name = prefix
            if name in params:
                warnings.append(f"{url}: {name} is set twice in the file; the later value counts")
            params[name] = element.text or ""
            return
        entry_id = element.find("ID")
        if element.tag.endswith("_Entry"):
            if entry_id is None or not entry_id.text:
                raise PhoneError(f"{url}: <{element.tag}> without an <ID>: refused")
            prefix = f"{prefix}[{entry_id.text}]"
        for child in children:
            if child.tag == "ID" and element.tag.endswith("_Entry"):
                continue
            walk(child, f"{prefix}.{child.tag}")

    for child in root:
        if child.tag == "version":
            continue
        walk(child, child.tag)
    return params


class FanvilPhone(Phone):
    """The file DHCP option 66 names ($mac expanded), else its stored server and Config_File_Name; then the file that names."""

    title = "Fanvil"
    # DHCP_Option default 66 (docs/vendors/fanvil.md); 43 also read.
    dhcp_preference = (66, 43)
    secret_pattern = FANVIL_SECRET
    key_names = (FANVIL_HTTP_PASSWORD,)

    def account_names(self):
        numbers = sorted({match.group(1) for name in {*self.config, *self.run_applied}
                          for match in [re.fullmatch(r"SIP_CONFIG_MODULE\.SIP_Line_List\.SIP_Line_List_Entry\[(SIP\d+)\]\.Phone_Number", name)]
                          if match})
        prefix = "SIP_CONFIG_MODULE.SIP_Line_List.SIP_Line_List_Entry"
        return [(f"{prefix}[{number}].Phone_Number", f"{prefix}[{number}].Register_Pswd") for number in numbers]

    def credentials(self):
        user, password = self.config.get(FANVIL_HTTP_USER), self.config.get(FANVIL_HTTP_PASSWORD)
        return (user, password) if user and password else None

    def next_check(self, failed):
        return FANVIL_DEFAULT_CHECK_MINUTES, ("the phone's own check, once a day (assumed: the codes of "
                                              "Download_Mode/Download_Interval are in no source)")

    def expand(self, name):
        return name.replace("$mac", self.identity.mac).replace("$MAC", self.identity.mac)

    def first_file(self, options):
        """(server directory, file name) of the first file: DHCP's option, else what the phone stored."""
        found = self.provisioning_option(options)
        if found:
            location = parse_location(self.expand(found[1]))
            self.source["server"] = location.url
            if location.names_a_file():
                return location.parent(), location.path.rsplit("/", 1)[-1]
            return location, self.expand(self.config.get(FANVIL_FILE_NAME, "$mac.cfg"))
        if self.config.get(FANVIL_SERVER):
            self.notes.append("server from the stored Download_Server_IP")
            return parse_location(self.config[FANVIL_SERVER]), self.expand(self.config.get(FANVIL_FILE_NAME, "$mac.cfg"))
        raise PhoneError("no provisioning server: DHCP sent neither option 66 nor option 43, and the phone has no "
                         "Download_Server_IP")

    def fetch(self, location, purpose):
        credentials = self.credentials() if location.scheme != "tftp" else None
        return self.fetcher.fetch(location, purpose, basic=credentials, refused_ok=True)

    def boot(self, options):
        server, name = self.first_file(options)
        missing, device_file = [], None
        model_file = FANVIL_MODEL_FILES.get(self.identity.model)
        if model_file:
            # Before or after the device file is unsure; it only names the device file.
            download = self.fetch(server.join(model_file), "model file")
            if download is not None:
                self.apply(parse_fanvil(download.data, download.location.url, self.warnings), download, "model file")
        seen = []
        while name and name not in seen:
            if len(seen) == MAX_FANVIL_FILES:
                raise PhoneError(f"more than {MAX_FANVIL_FILES} files named one after the other: {', '.join(seen)}")
            seen.append(name)
            download = self.fetch(server.join(name), "configuration file")
            if download is None:
                request = self.fetcher.requests[-1]
                missing.append(f"{request['url']} ({'not found' if request['result'] == 'not found' else request['error']})")
                break
            params = parse_fanvil(download.data, download.location.url, self.warnings)
            self.apply(params, download, "bootstrap" if "bootstrap" in name else "configuration file")
            if name.lower() == f"{self.identity.mac}.cfg":
                device_file = download.location.url
            # The file it names next (the bootstrap names $mac.cfg); credentials it set count from that request on.
            name = self.expand(params[FANVIL_FILE_NAME]) if params.get(FANVIL_FILE_NAME) else None
        if missing:
            self.download_failed = True
            self.failure = f"the phone went on without {'; '.join(missing)}"
        elif device_file is None:
            self.failure = f"no file of this phone's MAC ({self.identity.mac}.cfg) applied"
        else:
            self.device_profile = device_file

    def summary(self):
        lines = []
        for extension, password in self.account_names():
            prefix = extension[:-len("Phone_Number")]
            server = self.config.get(f"{prefix}Register_Addr")
            if server and self.config.get(f"{prefix}Register_Port"):
                server = f"{server}:{self.config[f'{prefix}Register_Port']}"
            number = int(re.search(r"\[SIP(\d+)\]", prefix).group(1))
            lines.append(self.line_entry(number, self.config.get(f"{prefix}Enable_Reg", "1") == "1", self.config.get(extension),
                                         self.config.get(f"{prefix}Register_User") or self.config.get(extension),
                                         self.config.get(f"{prefix}Display_Name"), password, server))
        summary = {"sip_server": lines[0]["sip_server"] if lines else None, "lines": lines}
        self.admin_entry(summary, "MMI_CONFIG_MODULE.MMI_Account.MMI_Account_Entry[Account1].Password")
        self.http_credentials_entry(summary, FANVIL_HTTP_USER, FANVIL_HTTP_PASSWORD)
        return summary


PHONES = {"grandstream": GrandstreamPhone, "cisco_spa": CiscoPhone, "cisco_mpp": CiscoPhone, "panasonic": PanasonicPhone,
          "yealink": YealinkPhone, "poly": PolyPhone, "snom": SnomPhone, "fanvil": FanvilPhone}


# ---------------------------------------------------------------------------
# State between boots


def load_state(path, identity):
    if not os.path.exists(path):
        return {}
    try:
        with open(path) as handle:
            state = json.load(handle)
    except (OSError, ValueError) as error:
        raise UsageError(f"--state {path}: cannot read it: {error}")
    if not isinstance(state, dict) or not isinstance(state.get("configuration"), dict):
        raise UsageError(f"--state {path}: not a virtual phone state file")
    if (state.get("vendor"), state.get("mac")) != (identity.vendor, identity.mac):
        raise UsageError(f"--state {path} belongs to {state.get('vendor')} {state.get('mac')}, not to this phone")
    return {str(name): str(value) for name, value in state["configuration"].items()}


def save_state(path, identity, configuration):
    # The phone's flash: keys and passwords in clear, so only root may read it.
    temporary = f"{path}.tmp"
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        json.dump({"vendor": identity.vendor, "model": identity.model, "mac": identity.mac, "configuration": configuration},
                  handle, indent=1, sort_keys=True)
    os.replace(temporary, path)


# ---------------------------------------------------------------------------
# The report


class Redactor:
    """Replaces every secret value the phone knows wherever it appears (URLs with a key directory, messages)."""

    # Shorter values would also match unrelated text; they only appear masked by name.
    MIN_LENGTH = 6

    def __init__(self, values):
        self.values = sorted({value for value in values if len(value) >= self.MIN_LENGTH}, key=len, reverse=True)

    def __call__(self, item):
        if isinstance(item, str):
            for value in self.values:
                item = item.replace(value, MASK)
            return item
        if isinstance(item, dict):
            return {key: self(value) for key, value in item.items()}
        if isinstance(item, list):
            return [self(value) for value in item]
        return item


def build_result(identity, args, phone, lease, dhcp_error, failure, seconds):
    ok = failure is None and phone.failure is None and phone.device_profile is not None
    if ok:
        message = f"device profile {phone.device_profile} applied"
    else:
        message = failure or phone.failure or "no device-specific profile applied"
    dhcp = {"skipped": bool(phone.dhcp_options), "interface": args.interface, "vendor_class": identity.vendor_class}
    if lease is not None:
        dhcp.update(address=lease.address, routers=lease.routers, server=lease.server, lease_time=lease.lease_time,
                    seconds=round(lease.seconds, 2))
    if dhcp_error:
        dhcp["error"] = dhcp_error
    options = lease.options if lease is not None else phone.dhcp_options
    dhcp["options"] = {str(code): describe_option(code, value) for code, value in sorted(options.items())}
    dhcp["provisioning_source"] = phone.source
    settings = {name: (MASK if value and phone.is_secret(name) else value) for name, value in phone.applied.items()}
    secrets = {name: sha256_hex(value) for name, value in sorted(phone.config.items()) if phone.is_secret(name)}
    result = {
        "vendor": identity.vendor, "model": identity.model, "mac": identity.mac_colons, "user_agent": identity.user_agent,
        "digest": identity.digest, "ok": ok, "message": message, "seconds": round(seconds, 2), "dhcp": dhcp,
        "requests": phone.fetcher.requests, "files": phone.files, "settings": settings, "access": phone.access,
        "summary": phone.summary(), "keys": phone.function_keys(), "directory": phone.directory,
        "notes": phone.notes, "warnings": phone.warnings,
        "cycles": phone.cycles, "first_account": phone.first_account, "clock_minutes": round(phone.clock_minutes, 2),
        "in_vain": [dict(entry, cycle=cycle["cycle"]) for cycle in phone.cycles for entry in cycle["in_vain"]],
    }
    result = Redactor(phone.secret_values())(result)
    result["secrets"] = secrets
    return result


def option_60_text(vendor_class):
    """How the report names the option 60 a phone sent (Yealink's and Fanvil's send none)."""
    return "option 60 %r" % vendor_class if vendor_class else "no option 60"


def format_report(result):
    out = []
    write = out.append
    if result["vendor"] in PLAIN_VENDORS:
        write(f"== virtual {result['vendor']} phone {result['model']} {result['mac']} (no file encryption)")
    else:
        write(f"== virtual {result['vendor']} phone {result['model']} {result['mac']} (openssl -md {result['digest']})")
    write(f"   User-Agent: {result['user_agent']}")
    dhcp = result["dhcp"]
    if dhcp["skipped"]:
        write("DHCP: skipped (options from the command line)")
    elif "address" in dhcp:
        routers = ", ".join(dhcp["routers"]) or "none"
        write(f"DHCP on {dhcp['interface']}, {option_60_text(dhcp['vendor_class'])}: lease {dhcp['address']}, router {routers}, "
              f"from {dhcp['server']}, {dhcp['seconds']:.2f} s")
    else:
        write(f"DHCP on {dhcp['interface']}, {option_60_text(dhcp['vendor_class'])}: no lease")
    for code, value in dhcp["options"].items():
        write(f"   option {code}: {value}")
    if dhcp["provisioning_source"]:
        source = dhcp["provisioning_source"]
        write(f"   provisioning server: {source.get('server', source['value'])} (option {source['option']})")
    write("Requests:")
    for request in result["requests"]:
        if request["result"] == "ok":
            outcome = f"{request['status']} {request['bytes']} bytes sha256 {request['sha256'][:16]}"
        elif request["result"] == "not found":
            outcome = f"not found ({'HTTP' if isinstance(request['status'], int) else 'TFTP'} {request['status']})"
        elif request["result"] == "refused":
            outcome = f"REFUSED {request['error']}"
        else:
            outcome = f"ERROR {request['error']}"
        write(f"   {request['number']:2d} {request['protocol']:5s} {request['url']}")
        auth = f" (HTTP user {request['http_user']})" if request.get("http_user") else ""
        write(f"      {request['purpose']}{auth}: {outcome}, {request['seconds']:.2f} s")
    if result["files"]:
        write("Files applied:")
        for applied in result["files"]:
            ignored = f", {applied['ignored']} already set by an earlier file" if applied.get("ignored") else ""
            encrypted = (", decrypted" if applied["encrypted"] else "") + (", gunzipped" if applied.get("gzip") else "")
            if "entries" in applied:
                write(f"   {applied['url']}: {applied['role']}, {applied['entries']} entries")
                continue
            write(f"   {applied['url']}: {applied['role']}{encrypted}, {applied['parameters']} parameters{ignored}")
    if result["settings"]:
        write(f"Settings applied ({len(result['settings'])}):")
        width = max(len(name) for name in result["settings"])
        for name, value in result["settings"].items():
            access = f"  (ua={result['access'][name]})" if name in result["access"] else ""
            write(f"   {name.ljust(width)} = {value if value else '(empty)'}{access}")
    summary = result["summary"]
    write("Summary:")
    write(f"   sip_server:     {summary.get('sip_server') or '(not set)'}")
    write(f"   admin_password: {summary.get('admin_password') or '(not set)'}")
    if "http_credentials" in summary:
        held = summary["http_credentials"]
        text = f"user {held['user']}, password {held['password']}" if held else "(none)"
        write(f"   http_credentials: {text}")
    off = [str(line["line"]) for line in summary["lines"] if not line["enabled"]]
    for line in summary["lines"]:
        if line["enabled"]:
            write(f"   line {line['line']}: extension {line['extension']}, auth {line['auth_user']}, "
                  f"display name {line['display_name']!r}, password {line['password']}, server {line['sip_server']}")
    if off:
        write(f"   lines off: {', '.join(off)}")
    if result["keys"]:
        write(f"Keys ({len(result['keys'])}):")
        for key in result["keys"]:
            text = " ".join(part for part in (key["type"], key["value"], repr(key["label"]) if key["label"] else None) if part)
            write(f"   {key['index']:2d} {text}" + (f", line {key['line']}" if key["line"] else ""))
    directory = result["directory"]
    if directory:
        names = ", ".join(directory["names"]) + (", ..." if directory["entries"] > len(directory["names"]) else "")
        write(f"Directory: {directory['entries']} entries ({names}) from {directory['url']}")
    if len(result["cycles"]) > 1:
        write("Cycles (minutes on the virtual clock):")
        for cycle in result["cycles"]:
            outcome = f"device profile {cycle['device_profile']}" if cycle["device_profile"] else f"FAILED: {cycle['failure']}"
            write(f"   {cycle['cycle']:2d} {cycle['kind']:6s} minute {cycle['minute']:g}: {cycle['requests']} requests, {outcome}; "
                  f"account {'held' if cycle['account_held'] else 'not held'}")
            for entry in cycle["in_vain"]:
                write(f"      in vain: {entry['url']}: {entry['why']}")
    elif result["in_vain"]:
        for entry in result["in_vain"]:
            write(f"In vain: {entry['url']}: {entry['why']}")
    first = result["first_account"]
    if first:
        write(f"First SIP account with its password: after {first['requests']} requests, minute {first['minutes']:g} "
              f"(cycle {first['cycle']}, {first['url']})")
    else:
        write("First SIP account with its password: none applied in this run")
    for note in result["notes"]:
        write(f"Note: {note}")
    for warning in result["warnings"]:
        write(f"WARNING: {warning}")
    write(f"Result: {'OK' if result['ok'] else 'FAILED'}: {result['message']} ({result['seconds']:.2f} s)")
    return "\n".join(out)


# ---------------------------------------------------------------------------
# Command line


def dhcp_option_argument(text):
    code, sep, value = text.partition("=")
    if not sep or code not in ("43", "66", "150", "159", "160") or not value:
        raise argparse.ArgumentTypeError("give CODE=VALUE with CODE one of 43, 66, 150, 159, 160")
    return int(code), value


def resolve_argument(text):
    name, sep, address = text.partition("=")
    if not sep or not name or not is_ip_address(address):
        raise argparse.ArgumentTypeError("give NAME=ADDRESS")
    return name.lower(), address


def parse_args(argv):
    parser = argparse.ArgumentParser(
        description="Boot a virtual SIP phone with real DHCP, TFTP, HTTP(S) and openssl clients and report what it would apply.")
    parser.add_argument("--vendor", required=True, choices=VENDORS)
    parser.add_argument("--model", required=True,
                        help="GXP2170, SPA2102, ATA192, CP-8841-3PCC, KX-UT133, T46U, VVX450, D785, X4, ...")
    parser.add_argument("--mac", required=True, help="the phone's MAC address, set on the interface")
    parser.add_argument("--interface", help="the phone's interface (needed unless DHCP options are given)")
    parser.add_argument("--vendor-class", help="DHCP option 60 as text (default: the vendor's form with the model; Poly: its binary form)")
    parser.add_argument("--user-agent", help="HTTP User-Agent (default: the vendor's form with the MAC)")
    parser.add_argument("--psn", help="Cisco product series $PSN (default: from the model)")
    parser.add_argument("--serial", help="serial number ($SN, SPA User-Agent)")
    parser.add_argument("--digest", choices=("md5", "sha256"), help="openssl enc -md of encrypted files (default: the vendor's)")
    parser.add_argument("--resolve", action="append", type=resolve_argument, default=[], metavar="NAME=ADDRESS",
                        help="a DNS A record of the lab (repeatable)")
    parser.add_argument("--cacert", help="CA certificate(s) to verify HTTPS servers with")
    parser.add_argument("--cert", help="client certificate for HTTPS (PEM)")
    parser.add_argument("--key", help="private key of the client certificate (PEM)")
    parser.add_argument("--dhcp-timeout", type=int, default=15, help="seconds dhclient waits for a lease (default 15)")
    parser.add_argument("--fetch-timeout", type=int, default=10, help="seconds for one TFTP or HTTP request (default 10)")
    parser.add_argument("--option66", help="skip DHCP: use this as option 66")
    parser.add_argument("--dhcp-option", action="append", type=dhcp_option_argument, default=[], metavar="CODE=VALUE",
                        help="skip DHCP: use this option (43 as hex, 150 as a comma-separated list; repeatable)")
    parser.add_argument("--state", help="the phone's flash: read at boot when it exists, written after")
    parser.add_argument("--resyncs", type=int, default=0, metavar="N",
                        help="after the boot, make N periodic checks as the phone would, on a virtual clock (default 0)")
    parser.add_argument("--no-boot", action="store_true",
                        help="the phone was already running (its --state): no boot, only the --resyncs checks")
    parser.add_argument("--workdir", help="keep lease and fetched files here (default: a temporary directory, removed)")
    parser.add_argument("--json", help="write the result here as JSON")
    args = parser.parse_args(argv)
    if args.option66:
        args.dhcp_option.append((66, args.option66))
    if not args.dhcp_option and not args.interface:
        parser.error("--interface is needed for DHCP (or give --option66 / --dhcp-option)")
    if args.resyncs < 0:
        parser.error("--resyncs must be 0 or more")
    if args.no_boot and not (args.state and args.resyncs):
        parser.error("--no-boot needs --state (what the running phone holds) and --resyncs N (N >= 1)")
    if args.dhcp_timeout < 1 or args.fetch_timeout < 1:
        parser.error("timeouts must be at least 1 second")
    for option in ("cacert", "cert", "key"):
        path = getattr(args, option)
        if path and not os.path.isfile(path):
            parser.error(f"--{option} {path}: no such file")
    return args


def run_cycle(phone, number, step):
    """One boot (number 0) or periodic check; the PhoneError that ends it early is that cycle's failure."""
    phone.start_cycle(number)
    error = None
    try:
        step()
        if phone.device_profile is not None and phone.failure is None:
            phone.fetch_directory()
    except PhoneError as failure:
        error = str(failure)
    phone.end_cycle(error)
    return error


def boot(args, identity, phone):
    """Lease, then the vendor's boot and --resyncs periodic checks; the result as build_result makes it."""
    started = time.monotonic()
    lease, dhcp_error, failure, dhcp_client = None, None, None, None
    try:
        if not phone.dhcp_options:
            dhcp_client = DhcpClient(args.interface, identity, args.dhcp_timeout, phone.fetcher.workdir)
            try:
                if os.geteuid() != 0:
                    raise PhoneError("DHCP needs root (it sets the interface's MAC and address): run as root in the phone's namespace")
                lease = dhcp_client.obtain()
            except PhoneError as error:
                dhcp_error = str(error)
                raise
            phone.lease_address = lease.address
        options = lease.options if lease else phone.dhcp_options
        if args.no_boot:
            phone.notes.append("--no-boot: the phone was already running; only its periodic checks are made")
        else:
            failure = run_cycle(phone, 0, lambda: phone.boot(options))
        for number in range(1, args.resyncs + 1):
            failed = phone.cycles[-1]["download_failed"] if phone.cycles else False
            try:
                minutes, why = phone.next_check(failed)
            except PhoneError as error:
                minutes, why = None, str(error)
            if minutes is None:
                phone.notes.append(f"no periodic check after cycle {number - 1} ({why}): "
                                   f"{args.resyncs - number + 1} of --resyncs {args.resyncs} not made")
                break
            # The phone does not sleep: the interval goes on the virtual clock.
            phone.clock_minutes += minutes
            phone.notes.append(f"check {number} at minute {phone.clock_minutes:g} ({why})")
            failure = run_cycle(phone, number, lambda: phone.resync(options))
    except PhoneError as error:
        failure = str(error)
    finally:
        if dhcp_client is not None:
            dhcp_client.stop()
    return build_result(identity, args, phone, lease, dhcp_error, failure, time.monotonic() - started)


def main(argv=None):
    args = parse_args(argv)
    try:
        identity = build_identity(args)
        stored = load_state(args.state, identity) if args.state else {}
        cli_options = options_from_arguments(args.dhcp_option)
    except UsageError as error:
        print(f"virtual_phone: {error}", file=sys.stderr)
        return EXIT_USAGE
    workdir = args.workdir or tempfile.mkdtemp(prefix="virtual-phone-")
    try:
        os.makedirs(workdir, exist_ok=True)
        tls = {"cacert": args.cacert, "cert": args.cert, "key": args.key}
        fetcher = Fetcher(identity, dict(args.resolve), tls, args.fetch_timeout, workdir)
        phone = PHONES[identity.vendor](identity, fetcher, stored, cli_options)
        result = boot(args, identity, phone)
        if args.state:
            save_state(args.state, identity, phone.config)
        print(format_report(result))
        if args.json:
            with open(args.json, "w") as handle:
                json.dump(result, handle, indent=1)
                handle.write("\n")
        return EXIT_OK if result["ok"] else EXIT_FAILED
    finally:
        if not args.workdir:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
