"""Text generators for the IOS / IOS XE show commands the lab answers, in the real layouts.

The crypto ones (IPsec and IKE SAs, crypto sessions, DMVPN) are in render_crypto.py.
"""
from __future__ import annotations

import datetime

from .model import FleetView, Router

CODENAMES = {"17.3": "Amsterdam", "17.6": "Bengaluru", "17.9": "Cupertino", "17.12": "Dublin"}
IMAGES = {"c8000v": "Virtual XE Software", "asr1001x": "ASR1000 Software", "isr4451": "ISR Software"}
FLOW_PREFIX = {"c8000v": "CSR", "asr1001x": "ESG", "isr4451": "ESG", "classic": "Onboard VPN"}


def _dt(epoch: float) -> datetime.datetime:
    return datetime.datetime.fromtimestamp(epoch, tz=datetime.timezone.utc)


def uptime_words(seconds: float) -> str:
    s = int(seconds)
    weeks, s = divmod(s, 7 * 86400)
    days, s = divmod(s, 86400)
    hours, s = divmod(s, 3600)
    minutes = s // 60
    parts = []
    for n, unit in ((weeks, "week"), (days, "day"), (hours, "hour"), (minutes, "minute")):
        if n or unit == "minute":
            parts.append("%d %s%s" % (n, unit, "" if n == 1 else "s"))
    return ", ".join(parts)


def hms(seconds: float) -> str:
    s = max(0, int(seconds))
    if s >= 86400:
        d, s = divmod(s, 86400)
        return "%dd%02dh" % (d, s // 3600)
    return "%02d:%02d:%02d" % (s // 3600, (s % 3600) // 60, s % 60)


def show_version(r: Router, now: float) -> str:
    spec = r.spec
    ver = spec.plat["version"]
    up = uptime_words(now - r.boot)
    serial = "9%s%04d" % (spec.name.upper()[:3].replace("-", "X"), spec.index)
    if spec.plat["family"] == "ios":
        return "\n".join([
            "Cisco IOS Software, C2900 Software (C2900-UNIVERSALK9-M), Version %s, RELEASE SOFTWARE (fc2)" % ver,
            "Technical Support: http://www.cisco.com/techsupport",
            "Copyright (c) 1986-2021 by Cisco Systems, Inc.",
            "Compiled Thu 04-Feb-21 10:11 by prod_rel_team",
            "",
            "ROM: System Bootstrap, Version 15.0(1r)M16, RELEASE SOFTWARE (fc1)",
            "",
            "%s uptime is %s" % (spec.name, up),
            "System returned to ROM by power-on",
            "System restarted at 13:55:12 UTC Wed Nov 12 2026",
            'System image file is "flash0:c2900-universalk9-mz.SPA.157-3.M8.bin"',
            "Last reload type: Normal Reload",
            "Last reload reason: power-on",
            "",
            "Cisco %s (revision 1.0) with 983040K/65536K bytes of memory." % spec.plat["model"],
            "Processor board ID FGL%s" % serial[1:],
            "3 Gigabit Ethernet interfaces",
            "1 terminal line",
            "1 Virtual Private Network (VPN) Module",
            "DRAM configuration is 64 bits wide with parity enabled.",
            "255K bytes of non-volatile configuration memory.",
            "249856K bytes of ATA System CompactFlash 0 (Read/Write)",
            "",
            "Configuration register is 0x2102",
        ])
    parts = ver.split(".")
    digits = "".join(c for c in parts[2] if c.isdigit())
    padded = "%s.%02d.%02d%s" % (parts[0], int(parts[1]), int(digits or 0), parts[2][len(digits):])
    train = CODENAMES.get(".".join(parts[:2]), "Cupertino")
    model = spec.plat["model"]
    virtual = spec.platform == "c8000v"
    lines = [
        "Cisco IOS XE Software, Version %s" % padded,
        "Cisco IOS Software [%s], %s (X86_64_LINUX_IOSD-UNIVERSALK9-M), Version %s, RELEASE SOFTWARE (fc3)"
        % (train, IMAGES[spec.platform], ver),
        "Technical Support: http://www.cisco.com/techsupport",
        "Copyright (c) 1986-2023 by Cisco Systems, Inc.",
        "Compiled Fri 20-Oct-23 10:44 by mcpre",
        "",
        "",
        "Cisco IOS-XE software, Copyright (c) 2005-2023 by cisco Systems, Inc.",
        "All rights reserved.  Certain components of Cisco IOS-XE software are",
        "licensed under the GNU General Public License (\"GPL\") Version 2.0.  The",
        "software code licensed under GPL Version 2.0 is free software that comes",
        "with ABSOLUTELY NO WARRANTY.  You can redistribute and/or modify such",
        "GPL code under the terms of GPL Version 2.0.  For more details, see the",
        "documentation or \"License Notice\" file accompanying the IOS-XE software,",
        "or the applicable URL provided on the flyer accompanying the IOS-XE",
        "software.",
        "",
        "",
        "ROM: IOS-XE ROMMON",
        "",
        "%s uptime is %s" % (spec.name, up),
        "Uptime for this control processor is %s" % up,
        "System returned to ROM by reload",
        "System image file is \"bootflash:packages.conf\"",
        "Last reload reason: reload",
        "",
        "",
        "",
        "This product contains cryptographic features and is subject to United",
        "States and local country laws governing import, export, transfer and",
        "use. Delivery of Cisco cryptographic products does not imply",
        "third-party authority to import, export, distribute or use encryption.",
        "",
        "",
        "License Level: network-advantage",
        "License Type: Perpetual",
        "Next reload license Level: network-advantage",
        "",
        "",
        "Smart Licensing Status: Registration Not Applicable/Not Applicable",
        "",
        ("cisco %s (VXE) processor (revision VXE) with 2028465K/3075K bytes of memory." % model) if virtual else
        ("cisco %s (1NG) processor (revision 1NG) with 3763053K/6147K bytes of memory." % model),
        "Processor board ID %s" % serial,
        "Router operating mode: Autonomous",
        "3 Gigabit Ethernet interfaces",
        "32768K bytes of non-volatile configuration memory.",
        "3965240K bytes of physical memory.",
        "11526144K bytes of virtual hard disk at bootflash:." if virtual else "6598655K bytes of eUSB flash at bootflash:.",
        "",
        "Configuration register is 0x2102",
    ]
    return "\n".join(lines)


def running_config(fleet: FleetView, r: Router, now: float, tree=None) -> str:
    body = (tree or r.config).lines()
    text_len = sum(len(x) + 1 for x in body)
    head = ["Building configuration...", "", "Current configuration : %d bytes" % text_len, "!"]
    if r.last_change is not None:
        when, who = r.last_change
        head += ["! Last configuration change at %s by %s" % (_dt(when).strftime("%H:%M:%S UTC %a %b %d %Y"), who), "!"]
    return "\n".join(head + body[1:] + ["end"])


def show_clock(now: float, r: Router) -> str:
    star = "*" if r.spec.log_style == "sequence" else ""
    d = _dt(now)
    return "%s%s.%03d UTC %s" % (star, d.strftime("%H:%M:%S"), d.microsecond // 1000, d.strftime("%a %b %d %Y"))


def show_logging(r: Router) -> str:
    n = r.logged_total
    head = [
        "Syslog logging: enabled (0 messages dropped, %d messages rate-limited, 0 flushes, 0 overruns, xml disabled, "
        "filtering disabled)" % (n // 2),
        "",
        "No Active Message Discriminator.",
        "",
        "",
        "",
        "No Inactive Message Discriminator.",
        "",
        "",
        "    Console logging: disabled",
        "    Monitor logging: level debugging, 0 messages logged, xml disabled,",
        "                     filtering disabled",
        "    Buffer logging:  level debugging, %d messages logged, xml disabled," % n,
        "                    filtering disabled",
        "    Exception Logging: size (4096 bytes)",
        "    Count and timestamp logging messages: disabled",
        "    Persistent logging: disabled",
        "",
        "No active filter modules.",
        "",
        "    Trap logging: level informational, %d message lines logged" % (n + 3),
        "        Logging Source-Interface:       VRF Name:",
        "",
        "Log Buffer (102400 bytes):",
        "",
    ]
    return "\n".join(head + [line for _epoch, line in r.log])


# ----- QFP ------------------------------------------------------------------------------------------------

def show_qfp_drops(r: Router) -> str:
    rows = [(k, v) for k, v in sorted(r.qfp.items()) if int(v[0]) > 0]
    out = ["Last clearing of QFP drops statistics : %s" % getattr(r, "qfp_cleared", "never"), "",
           "-" * 73,
           "Global Drop Stats                         Packets                  Octets  ",
           "-" * 73]
    if not rows:
        return "\n".join(["The Global drop stats were all zero"])
    for k, v in rows:
        out.append("%-33s%16d%24d  " % (k, int(v[0]), int(v[1])))
    return "\n".join(out)


IPSEC_DROP_TABLE = [
    "IN_V4_PKT_HIT_INVALID_SA", "IN_CLEAR_US_V4_PSTATE_SB_FAILED", "IN_US_V4_PKT_FOUND_IPSEC_NOT_ENABLED",
    "IN_US_V4_PKT_SA_NOT_FOUND_SPI", "IN_TUNNEL_US_V4_PKT_IPSEC_NO_KEEP", "IN_TRANS_CL_V4_PKT_FAILED_POLICY",
    "IN_TRANS_V4_IPSEC_PKT_NOT_FOUND_SPI", "IN_US_CL_V4_PKT_FAILED_POLICY", "IN_V6_PKT_HIT_INVALID_SA",
    "IN_CLEAR_US_V6_PSTATE_SB_FAILED", "IN_US_V6_PKT_FOUND_IPSEC_NOT_ENABLED", "IN_US_V6_PKT_SA_NOT_FOUND_SPI",
    "IN_TUNNEL_US_V6_PKT_IPSEC_NOT_KEEP", "IN_TRANS_V6_PKT_FAILED_POLICY", "IN_US_CL_V6_PKT_FAILED_POLICY",
    "IN_CD_SW_IPSEC_HARD_EXPIRY", "IN_CD_SW_IPSEC_ANTI_REPLAY_FAIL", "IN_TBASED_ANTI_REPLAY_FAIL",
    "OUT_V4_PKT_HIT_INVALID_SA", "OUT_V4_PKT_HIT_IKE_START_SP", "OUT_V6_PKT_HIT_INVALID_SA",
    "OUT_CD_SW_IPSEC_HARD_EXPIRY", "CRYPTO_DEVICE_IPSEC_STOP", "IN_PKT_CERM_DROP", "OUT_PKT_CERM_DROP",
]


def show_qfp_ipsec_drops(r: Router, all_rows: bool) -> str:
    # Drop-type numbers differ between releases (domain.md): keep them release-specific on purpose.
    offset = 0 if r.spec.plat["version"].startswith("17.9") else (2 if r.spec.plat["version"].startswith("17.6") else 1)
    out = ["-" * 72, "Drop Type  Name                                     Packets", "-" * 72]
    for i, name in enumerate(IPSEC_DROP_TABLE, start=1):
        value = int(r.ipsec_drops.get(name, 0))
        if not all_rows and value == 0:
            continue
        num = i if i <= 3 else i + offset
        out.append("%9d  %-45s%16d" % (num, name, value))
    return "\n".join(out)


def show_ip_int_brief(r: Router) -> str:
    out = ["Interface              IP-Address      OK? Method Status                Protocol"]
    for node in r.config.sections("interface"):
        name = node.text.split()[1]
        ip = "unassigned"
        for c in node.children:
            if c.text.startswith("ip address "):
                ip = c.text.split()[2]
        down = any(c.text == "shutdown" for c in node.children)
        status = ("administratively down", "down") if down else ("up", "up")
        out.append("%-22s %-15s YES NVRAM  %-21s %s" % (name, ip, status[0], status[1]))
    return "\n".join(out)
