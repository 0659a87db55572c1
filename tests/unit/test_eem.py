"""EEM capture: applet text, the EEM syntax checker, capture files and the merge of their evidence."""
from __future__ import annotations

import re

import pytest

from ansible_collections.netops.ipsec_spi.plugins.module_utils import eem
from ansible_collections.netops.ipsec_spi.plugins.module_utils.common import ParseError

HUB, BR = "198.51.100.101", "198.51.100.102"


# ----- applet text -----------------------------------------------------------------------------------------

def test_generated_applets_pass_the_checker_and_the_policy():
    for applet in (eem.capture_applet(), eem.capture_applet(name="X.Y-1", file="a.txt", qfp=False, ratelimit=10),
                   eem.twin_applet([HUB, "2001:DB8::1"]), eem.twin_applet([HUB], interval=10, maxrun=10)):
        assert eem.check_applet(applet) == [], applet
        assert eem.capture_policy_problems(applet) == [], applet


def test_capture_applet_shape():
    lines = eem.capture_applet(ratelimit=45, maxrun=90, max_bytes=2048, min_free=4096)
    text = "\n".join(lines)
    assert lines[0] == "event manager applet IPSEC_SPI_CAPTURE authorization bypass"
    assert ' event syslog pattern "%s" ratelimit 45 maxrun 90' % eem.INV_SPI_PATTERN in lines
    assert all(line.startswith(" ") for line in lines[1:])
    for needed in ('regexp "srcaddr=', '"$_syslog_msg" _m src', 'cli command "show crypto ipsec sa peer $src"',
                   'cli command "show crypto isakmp sa"', 'cli command "show crypto ikev2 sa"',
                   'cli command "%s"' % eem.QFP_IPSEC_DROPS, "if $size ge 2048", "if $free lt 4096",
                   "file open fh flash:ipsec_spi_capture.txt a+", "file close fh"):
        assert needed in text, needed
    assert "clear" not in text.replace("(", " ")
    assert "?" not in text
    assert eem.QFP_IPSEC_DROPS not in "\n".join(eem.capture_applet(qfp=False))


def test_pattern_matches_all_three_spellings_and_nothing_else():
    rx = re.compile(eem.INV_SPI_PATTERN)
    for mnemonic in eem.MNEMONICS:
        assert rx.search("000012: *Nov 29 18:00:01.123 UTC: %CRYPTO-4-" + mnemonic + ": decaps: rec'd IPSEC packet")
    for other in ("%CRYPTO-4-RECVD_PKT_NOT_IPSEC: x", "%CRYPTO-5-SESSION_STATUS: y", "%HA_EM-4-LOG: IPSEC_SPI_CAPTURE: z",
                  "%CRYPTO-4-PKT_REPLAY_ERR: w"):
        assert not rx.search(other)


def test_twin_applet_shape():
    lines = eem.twin_applet(["198.51.100.1", "198.51.100.1", "2001:DB8::A"], interval=30, maxrun=25)
    assert " event timer watchdog time 30 maxrun 25" in lines
    text = "\n".join(lines)
    assert text.count('cli command "show crypto ipsec sa peer 198.51.100.1"') == 1
    assert 'cli command "show crypto ipsec sa peer 2001:db8::a"' in text
    assert 'file puts fh "kind: twin"' in text


@pytest.mark.parametrize("kwargs, message", [
    (dict(name="bad name"), "applet name"),
    (dict(name='a"b'), "applet name"),
    (dict(file="../x"), "capture file"),
    (dict(file="flash:x"), "capture file"),
    (dict(max_bytes=10), "max_bytes"),
    (dict(ratelimit=0), "ratelimit"),
    (dict(maxrun=True), "maxrun"),
    (dict(log_command="clear logging"), "log_command"),
    (dict(log_command='show logging | include "x"'), "quotes"),
    (dict(log_command="show logging | include RECV_?D"), "'?'"),
])
def test_capture_applet_refuses_bad_input(kwargs, message):
    with pytest.raises(ParseError, match=re.escape(message)):
        eem.capture_applet(**kwargs)


def test_twin_applet_refuses_bad_input():
    with pytest.raises(ParseError, match="at least one peer"):
        eem.twin_applet([])
    with pytest.raises(ParseError, match="not an IP address"):
        eem.twin_applet(["hub-1"])
    with pytest.raises(ParseError, match="interval"):
        eem.twin_applet([HUB], interval=5)


# ----- the checker rejects bad applets --------------------------------------------------------------------

GOOD = [
    "event manager applet T authorization bypass",
    ' event syslog pattern "CRYPTO-4-RECVD_PKT_INV_SPI" ratelimit 60 maxrun 60',
    ' action 010 regexp "srcaddr=([0-9.]+)" "$_syslog_msg" _m src',
    ' action 020 cli command "enable"',
    ' action 030 cli command "show crypto ipsec sa peer $src"',
    ' action 040 syslog msg "captured $src"',
]


def with_lines(*changes):
    lines = list(GOOD)
    for index, text in changes:
        if text is None:
            del lines[index]
        elif index >= len(lines):
            lines.append(text)
        else:
            lines[index] = text
    return lines


def test_checker_accepts_the_reference_applet():
    assert eem.check_applet(GOOD) == []
    assert eem.check_applet("\n".join(GOOD) + "\n!\n") == []


@pytest.mark.parametrize("lines, expected", [
    (with_lines((1, None)), "no event line"),
    (with_lines((0, "event manager applett T")), "starts with 'event manager applet NAME'"),
    (with_lines((0, "event manager applet T trap authorization bypass")), "in the order"),
    (with_lines((0, "event manager applet T authorization")), "unexpected 'authorization'"),
    (with_lines((0, "event manager applet T class z")), "unexpected 'class'"),
    (with_lines((1, ' event syslog ratelimit 60')), "needs 'pattern'"),
    (with_lines((1, ' event syslog pattern "(unclosed" maxrun 60')), "not a regular expression"),
    (with_lines((1, ' event syslog pattern "X" ratelimit soon')), "needs seconds"),
    (with_lines((1, ' event syslog pattern "X" priority loud')), "priority 'loud'"),
    (with_lines((1, ' event syslog pattern "X" pattern "Y"')), "given twice"),
    (with_lines((1, ' event syslog pattern "X" frequency 3')), "unknown event syslog option"),
    (with_lines((1, " event timer watchdog maxrun 60")), "needs 'time'"),
    (with_lines((1, " event timer hourly time 60")), "event timer needs one of"),
    (with_lines((1, " event interface name Gi1")), "not one this checker knows"),
    (with_lines((6, ' event none')), "a second event line"),
    (with_lines((3, ' action 020 cli command "enable"'), (4, ' action 010 cli command "show clock"')), "label 010 used again"),
    (with_lines((4, ' action 9 cli command "show clock"')), "does not sort after"),
    (with_lines((3, ' action 020 cli command show clock')), "cli command takes one string"),
    (with_lines((3, ' action 020 cli command "show clock')), "unterminated quoted string"),
    (with_lines((3, ' action 020 cli command sh"ow"')), "double quote inside a word"),
    (with_lines((3, ' action 020 cli command "show"clock')), "followed by a space"),
    (with_lines((3, ' action 020 cli cmd "show clock"')), "cli needs 'command STRING"),
    (with_lines((3, ' action 020 shell "ls"')), "unknown action 'shell'"),
    (with_lines((2, ' action 010 regexp "([0-9]+" "$_syslog_msg" _m src')), "not a regular expression"),
    (with_lines((2, ' action 010 regexp "x" "$_syslog_msg" _m a b c d')), "regexp needs"),
    (with_lines((4, ' action 030 cli command "show crypto ipsec sa peer $peer"')), "$peer is used before"),
    (with_lines((2, ' action 010 regexp "x" "$_timer_time" _m src')), "$_timer_time is used before"),
    (with_lines((4, ' action 030 if $src eq "1"')), "this if has no end"),
    (with_lines((4, " action 030 else")), "else without an open if"),
    (with_lines((4, " action 030 end")), "end without an open if"),
    (with_lines((4, " action 030 break")), "break outside a loop"),
    (with_lines((4, ' action 030 if $src eq "1" goto 999')), "no action has that label"),
    (with_lines((4, ' action 030 if $src is "1"')), "if needs"),
    (with_lines((4, " action 030 file puts fh \"x\"")), "file handle fh is not open"),
    (with_lines((4, " action 030 file open fh flash:x.txt a+")), "file handle fh is never closed"),
    (with_lines((4, " action 030 file open fh flash:x.txt append")), "file open needs"),
    (with_lines((5, ' action 040 syslog msg "CRYPTO-4-RECVD_PKT_INV_SPI again"')), "would trigger the applet again"),
    (with_lines((5, ' action 040 syslog priority loud msg "x"')), "syslog priority needs"),
    (with_lines((5, ' action 040 syslog "x"')), "syslog needs 'msg STRING'"),
    (with_lines((1, ' event syslog pattern "RECVD?_PKT_INV_SPI"')), "'?' cannot be typed"),
    (with_lines((3, ' action 020 cli command "show platform hardware qfp active statistics drop clear"'),
                (4, ' action 030 cli command "clear platform hardware qfp active statistics drop"')), "destroys the evidence"),
    (with_lines((2, 'action 010 cli command "enable"')), "indented"),
    (["event manager applet T", " description spaced text"] + GOOD[1:], None),
    (with_lines((3, ' action 020 cli command "show platform hardware qfp active statistics drop clear"')),
     "destroys the evidence"),
    (with_lines((4, ' action 030 set "a b" 1')), "set needs"),
    (with_lines((4, ' action 030 regexp "x" "$ x" _m y')), "'$' must start a variable name"),
    (with_lines((2, " flavour vanilla")), "not an applet command"),
    ([], "empty"),
])
def test_checker_rejects_bad_applets(lines, expected):
    errors = eem.check_applet(lines)
    if expected is None:
        assert errors == []
    else:
        assert any(expected in e for e in errors), errors


def test_checker_accepts_blocks_loops_and_other_detectors():
    lines = [
        "event manager applet LOOP class A trap",
        " event timer countdown time 30 name t1 maxrun 20",
        ' action 1.0 set i "0"',
        ' action 1.1 while $i lt 3',
        " action 1.2 increment i",
        ' action 1.3 if $i eq "2"',
        " action 1.4 continue",
        ' action 1.5 elseif $i eq "5"',
        " action 1.6 break",
        " action 1.7 else",
        ' action 1.8 puts "i=$i"',
        " action 1.9 end",
        " action 2.0 end",
        " action 2.1 info type routername",
        ' action 2.2 syslog priority notifications msg "on $_info_routername at $_event_pub_sec" facility "EEM"',
        " action 2.3 exit 0",
    ]
    assert eem.check_applet(lines) == []
    assert eem.check_applet(["event manager applet N", " event none maxrun 30", ' action 1 cli command "show clock"']) == []


def test_policy_rejects_unsafe_capture_applets():
    bare = ["event manager applet T", ' event syslog pattern "INV_SPI"', ' action 1 cli command "enable"',
            " action 2 file open fh flash:x a+", ' action 3 file puts fh "x"', " action 4 file close fh",
            ' action 5 cli command "clear crypto sa"']
    assert eem.check_applet(bare) == []
    problems = eem.capture_policy_problems(bare)
    assert any("no maxrun" in p for p in problems)
    assert any("no ratelimit" in p for p in problems)
    assert any("without first checking" in p for p in problems)
    assert any("clear crypto sa" in p for p in problems)


# ----- running-config and the commands to send ------------------------------------------------------------

RUNNING = """Building configuration...
!
event manager applet IPSEC_SPI_CAPTURE2
 event none
 action 1 cli command "show clock"
event manager applet IPSEC_SPI_CAPTURE authorization bypass
 event syslog pattern "X" ratelimit 60 maxrun 60
 action 1 cli command "show clock"
!
end
"""


def test_applet_from_running_finds_the_exact_name():
    assert eem.applet_from_running(RUNNING, "IPSEC_SPI_CAPTURE") == [
        "event manager applet IPSEC_SPI_CAPTURE authorization bypass",
        ' event syslog pattern "X" ratelimit 60 maxrun 60', ' action 1 cli command "show clock"']
    assert eem.applet_from_running(RUNNING, "IPSEC_SPI_CAPTURE2")[1] == " event none"
    assert eem.applet_from_running(RUNNING, "IPSEC") is None
    assert eem.applet_from_running("", "X") is None
    assert eem.applet_from_running(None, "X") is None


def test_config_commands_are_idempotent_and_replace_whole_applets():
    want = eem.capture_applet()
    assert eem.config_commands(want, want) == []
    # The router collapses spaces; that is no change.
    assert eem.config_commands([line.replace(" event", "   event") for line in want], want) == []
    first = eem.config_commands(None, want)
    assert first[0] == want[0] and len(first) == len(want) and not first[1].startswith(" ")
    changed = eem.config_commands(want, eem.capture_applet(ratelimit=30))
    assert changed[0] == "no event manager applet IPSEC_SPI_CAPTURE" and changed[1] == want[0]
    assert eem.config_commands(want, None) == ["no event manager applet IPSEC_SPI_CAPTURE"]
    assert eem.config_commands(None, None) == []


def test_parse_dir():
    text = """Directory of bootflash:/

   11  drwx            16384  Nov 25 2026 10:05:16 +00:00  lost+found
   12  -rw-             6755  Nov 12 2026 13:55:00 +00:00  packages.conf
   14  -rw-            43875  Nov 29 2026 18:03:08 +00:00  ipsec_spi_capture.txt

7897796608 bytes total (6616240128 bytes free)
"""
    out = eem.parse_dir(text)
    assert out == {"files": {"packages.conf": 6755, "ipsec_spi_capture.txt": 43875}, "total": 7897796608,
                   "free": 6616240128}
    missing = eem.parse_dir("%Error opening flash:/x (No such file or directory)")
    assert missing == {"files": {}, "total": None, "free": None}


# ----- capture files --------------------------------------------------------------------------------------

def sa_table(local, peer, inbound, outbound, host):
    def sa(spi):
        return ["      spi: 0x%X(%d)" % (spi, spi), "        transform: esp-256-aes esp-sha256-hmac ,",
                "        in use settings ={Tunnel, }", "        Status: ACTIVE(ACTIVE)", ""]
    lines = ["interface: GigabitEthernet1", "    Crypto map tag: CMAP, local addr %s" % local, "",
             "   protected vrf: (none)", "   local  ident (addr/mask/prot/port): (10.1.0.0/255.255.255.0/0/0)",
             "   remote ident (addr/mask/prot/port): (10.2.0.0/255.255.255.0/0/0)",
             "   current_peer %s port 500" % peer, "     PERMIT, flags={origin_is_acl,}",
             "    #pkts encaps: 1200, #pkts encrypt: 1200, #pkts digest: 1200",
             "    #pkts decaps: 0, #pkts decrypt: 0, #pkts verify: 0", "",
             "     local crypto endpt.: %s, remote crypto endpt.: %s" % (local, peer),
             "     current outbound spi: 0x%X(%d)" % (outbound[0], outbound[0]) if outbound else
             "     current outbound spi: 0x0(0)", "", "     inbound esp sas:"]
    for spi in inbound:
        lines += sa(spi)
    lines += ["     inbound ah sas:", "", "     outbound esp sas:"]
    for spi in outbound:
        lines += sa(spi)
    lines += ["     outbound ah sas:", "", host + "#"]
    return lines


def receiver_block(epoch, spi, inbound, sender=BR, end=True, mnemonic="RECVD_PKT_INV_SPI"):
    msg = ("000101: *Nov 29 18:01:07.123 UTC: %%CRYPTO-4-%s: decaps: rec'd IPSEC packet has invalid spi for "
           "destaddr=%s, prot=50, spi=0x%X(%d), srcaddr=%s, input interface=GigabitEthernet1"
           % (mnemonic, HUB, spi, spi, sender))
    lines = [eem.BEGIN, "format: 1", "applet: IPSEC_SPI_CAPTURE", "kind: receiver", "epoch: %d" % epoch,
             "sender: %s" % sender, "spi: 0x%X" % spi, "message: " + msg,
             "--- command: show clock ---", "*18:01:07.873 UTC Sun Nov 29 2026", "hubc#",
             "--- command: show crypto ipsec sa peer %s ---" % sender]
    lines += sa_table(HUB, sender, inbound, [0x0D04D7E0B] if inbound else [], "hubc")
    lines += ["--- command: show crypto isakmp sa ---", "IPv4 Crypto ISAKMP SA",
              "dst             src             state          conn-id status", "", "IPv6 Crypto ISAKMP SA", "", "hubc#",
              "--- command: %s ---" % eem.QFP_IPSEC_DROPS,
              "------------------------------------------------------------------------",
              "Drop Type  Name                                     Packets",
              "------------------------------------------------------------------------",
              "        4  IN_US_V4_PKT_SA_NOT_FOUND_SPI                           15822", "hubc#",
              "--- command: show logging | include CRYPTO ---", msg, "hubc#"]
    if end:
        lines.append(eem.END)
    return "\n".join(lines) + "\n"


def twin_block(epoch, outbound, receiver=HUB):
    lines = [eem.BEGIN, "format: 1", "applet: IPSEC_SPI_TWIN", "kind: twin", "epoch: %d" % epoch,
             "peers: %s" % receiver, "--- command: show crypto ipsec sa peer %s ---" % receiver]
    lines += sa_table(BR, receiver, [0x11111111], outbound, "brc")
    lines += [eem.END]
    return "\n".join(lines) + "\n"


T0 = 1795975267


def test_parse_capture_reads_every_section():
    problems = []
    snaps = eem.parse_capture(receiver_block(T0, 0xFF123456, [0x620F087]), host="hubc", file="f.txt",
                              problems=problems)
    assert problems == []
    (snap,) = snaps
    assert snap["kind"] == "receiver" and snap["complete"] and snap["epoch"] == T0
    assert snap["sender"] == BR and snap["spi"] == 0xFF123456 and snap["spi_hex"] == "0xFF123456"
    assert snap["trigger"]["dst"] == HUB and snap["trigger"]["mnemonic"] == "RECVD_PKT_INV_SPI"
    assert snap["ipsec_sas"][0]["inbound_spis"] == [0x620F087]
    assert snap["qfp_ipsec_drops"]["IN_US_V4_PKT_SA_NOT_FOUND_SPI"]["packets"] == 15822
    assert len(snap["log_events"]) == 1 and snap["file"] == "f.txt"
    assert snap["commands"][0] == "show clock"


def test_parse_capture_reports_cut_blocks_and_stray_text():
    text = "garbage before\n" + receiver_block(T0, 0x1234, [], end=False) + twin_block(T0 + 30, [0x1234])
    problems = []
    snaps = eem.parse_capture(text, host="h", problems=problems)
    assert [s["complete"] for s in snaps] == [False, True]
    assert any("outside a capture block" in p["reason"] for p in problems)
    assert any("no end marker" in p["reason"] for p in problems)
    bad = eem.BEGIN + "\nepoch: soon\nspi: 0xZZ\nsender: nobody\nkind: odd\nnot a header\n" + eem.END
    problems = []
    (snap,) = eem.parse_capture(bad, problems=problems)
    reasons = " ".join(p["reason"] for p in problems)
    for what in ("epoch 'soon'", "spi '0xZZ'", "sender 'nobody'", "unknown capture kind", "not a 'key: value'"):
        assert what in reasons
    assert snap["epoch"] is None


def test_parse_capture_records_unsupported_qfp_on_classic_ios():
    text = "\n".join([eem.BEGIN, "kind: twin", "epoch: 5", "--- command: %s ---" % eem.QFP_IPSEC_DROPS,
                      "show platform hardware qfp active feature ipsec datapath drops all",
                      "              ^", "% Invalid input detected at '^' marker.", "", "brd#", eem.END])
    (snap,) = eem.parse_capture(text)
    assert snap["unsupported_commands"] == [eem.QFP_IPSEC_DROPS] and snap["qfp_ipsec_drops"] is None


def test_parse_capture_accepts_every_mnemonic_spelling():
    for mnemonic in eem.MNEMONICS:
        (snap,) = eem.parse_capture(receiver_block(T0, 0x1234, [], mnemonic=mnemonic))
        assert snap["trigger"]["mnemonic"] == mnemonic


# ----- merging evidence -----------------------------------------------------------------------------------

def assessment(host, flows=(), findings=()):
    return {"host": host, "assessed": True, "compliant": True, "flows": list(flows), "findings": list(findings)}


FLOW = {"host": "hubc", "src": BR, "dst": HUB, "spi": 0xFF123456, "spi_hex": "0xFF123456", "status": "transient",
        "sender": "brc"}


def test_confirmed_by_capture():
    captures = {"hubc": {"ipsec_spi_capture.txt": receiver_block(T0, 0xFF123456, [0x620F087])},
                "brc": [twin_block(T0 - 7, [0xFF123456])]}
    out = eem.merge_captures(captures, assessments={"hubc": assessment("hubc", [FLOW]), "brc": assessment("brc")})
    (verdict,) = out["verdicts"]
    assert verdict["verdict"] == "confirmed" and verdict["sender"] == "brc" and verdict["receiver_addr"] == HUB
    assert verdict["receiver_inbound"] == [0x620F087] and verdict["sender_outbound"] == [0xFF123456]
    assert verdict["evidence"][-1].endswith(": confirmed") and "captured at" in verdict["evidence"][-1]
    merged = out["assessments"]["hubc"]
    codes = [(f["code"], f["severity"]) for f in merged["findings"]]
    assert ("CAPTURED_DESYNC", "error") in codes
    assert ("SPI_TOP_BYTE_FF", "warning") in codes
    ff = next(f for f in merged["findings"] if f["code"] == "SPI_TOP_BYTE_FF")
    assert "matches the symptom of CSCvp16730" in ff["message"] and ff["bug"] == "CSCvp16730"
    bug = next(f for f in merged["findings"] if f["code"] == "KNOWN_BUG_SYMPTOM")
    assert bug["bug"] == "CSCvn31824" and "matches the symptom of" in bug["message"]
    assert merged["compliant"] is False
    assert merged["flows"][0]["captured"]["verdict"] == "confirmed"
    assert merged["captures"]["snapshots"] == 1 and merged["captures"]["files"] == ["ipsec_spi_capture.txt"]
    assert out["assessments"]["brc"]["findings"] == [] and out["assessments"]["brc"]["compliant"] is True
    # A second merge replaces the capture findings instead of adding them again.
    again = eem.merge_captures(captures, assessments={"hubc": merged})
    assert len(again["assessments"]["hubc"]["findings"]) == len(merged["findings"])


def test_unverified_when_the_sender_was_not_captured():
    out = eem.merge_captures({"hubc": receiver_block(T0, 0x1234, [])}, assessments={"hubc": assessment("hubc")})
    (verdict,) = out["verdicts"]
    assert verdict["verdict"] == "unverified" and verdict["sender"] is None
    (finding,) = out["findings"]["hubc"]
    assert finding["code"] == "CAPTURED_DESYNC" and finding["severity"] == "warning"
    assert out["assessments"]["hubc"]["compliant"] is True


def test_sender_capture_outside_the_tolerance_does_not_count():
    captures = {"hubc": receiver_block(T0, 0x1234, []), "brc": twin_block(T0 + 600, [0x1234])}
    out = eem.merge_captures(captures, tolerance=90)
    assert out["verdicts"][0]["verdict"] == "unverified"
    assert "no capture of brc within 90 s" in " ".join(out["verdicts"][0]["evidence"])
    assert eem.merge_captures(captures, tolerance=700)["verdicts"][0]["verdict"] == "confirmed"


def test_transient_when_the_receiver_had_the_spi_or_the_sender_dropped_it():
    had = eem.merge_captures({"hubc": receiver_block(T0, 0x1234, [0x1234]), "brc": twin_block(T0, [0x1234])})
    assert had["verdicts"][0]["verdict"] == "transient" and had["findings"]["hubc"] == []
    gone = eem.merge_captures({"hubc": receiver_block(T0, 0x1234, []), "brc": twin_block(T0 + 5, [0x9999])})
    assert gone["verdicts"][0]["verdict"] == "transient"


def test_ff_finding_not_repeated_when_the_check_role_already_reported_it():
    existing = {"code": "SPI_TOP_BYTE_FF", "severity": "warning", "subject": BR, "waived": False, "waiver": None,
                "message": "SPI 0xFF123456 starts with 0xFF: matches the symptom of CSCvp16730"}
    out = eem.merge_captures({"hubc": receiver_block(T0, 0xFF123456, [])},
                             assessments={"hubc": assessment("hubc", findings=[existing])})
    assert [f["code"] for f in out["assessments"]["hubc"]["findings"]].count("SPI_TOP_BYTE_FF") == 1


def test_waiver_applies_to_captured_desync():
    captures = {"hubc": receiver_block(T0, 0x1234, []), "brc": twin_block(T0, [0x1234])}
    waivers = [{"code": "CAPTURED_DESYNC", "reason": "CHG1", "expires": "2999-01-01"}]
    out = eem.merge_captures(captures, assessments={"hubc": assessment("hubc")}, waivers=waivers)
    finding = next(f for f in out["assessments"]["hubc"]["findings"] if f["code"] == "CAPTURED_DESYNC")
    assert finding["waived"] is True and out["assessments"]["hubc"]["compliant"] is True
    with pytest.raises(ParseError, match="unknown finding code"):
        eem.merge_captures(captures, waivers=[{"code": "NOPE", "reason": "x"}])


def test_invalid_syntax_in_captured_log_names_the_ikev2_bug():
    text = receiver_block(T0, 0x1234, []).replace(
        "hubc#\n" + eem.END, "*Nov 29 18:01:07.500 UTC: %IKEV2-3-NEG_ABORT: Negotiation aborted due to ERROR: "
        "INVALID_SYNTAX\nhubc#\n" + eem.END)
    out = eem.merge_captures({"hubc": text})
    bugs = [f["bug"] for f in out["findings"]["hubc"] if f["code"] == "KNOWN_BUG_SYMPTOM"]
    assert bugs == ["CSCvd40554"]


@pytest.mark.parametrize("captures, kwargs, message", [
    ("text", {}, "captures must be a mapping"),
    ({"h": 5}, {}, "captures of a host must be"),
    ({"h": ""}, {"assessments": []}, "assessments must be a mapping"),
    ({"h": ""}, {"tolerance": -1}, "tolerance"),
])
def test_merge_refuses_bad_input(captures, kwargs, message):
    with pytest.raises(ParseError, match=message):
        eem.merge_captures(captures, **kwargs)


# ----- corrupt headers (issue 17, item 5) ------------------------------------------------------------------

@pytest.mark.parametrize("value", ["1e20", "-1e20", "inf", "-inf", "nan", "9" * 400, "1e12", "-5", "0x10"])
def test_an_epoch_that_is_not_a_time_is_a_problem_not_a_crash(value):
    text = "\n".join([eem.BEGIN, "kind: twin", "epoch: " + value, eem.END])
    problems = []
    (snap,) = eem.parse_capture(text, problems=problems)
    assert snap["epoch"] is None and snap["time"] is None
    assert [p["line"] for p in problems] == [3] and "is not a time stamp" in problems[0]["reason"], problems


def test_a_huge_format_number_is_a_problem_not_a_crash():
    text = "\n".join([eem.BEGIN, "kind: twin", "format: " + "9" * 5000, "epoch: 5", eem.END])
    problems = []
    (snap,) = eem.parse_capture(text, problems=problems)
    assert snap["epoch"] == 5.0 and any("format" in p["reason"] for p in problems)


@pytest.mark.parametrize("value", ["1e20", "inf", "9" * 400])
def test_filter_reports_a_corrupt_epoch_instead_of_raising(value, monkeypatch):
    from ansible_collections.netops.ipsec_spi.plugins.filter.spi_captures import spi_captures
    from ansible_collections.netops.ipsec_spi.plugins.plugin_utils import wrap

    monkeypatch.setattr(wrap.display, "warning", lambda msg: None)
    text = receiver_block(T0, 0x1234, []).replace("epoch: %d" % T0, "epoch: " + value)
    out = spi_captures({"hubc": text})
    (snap,) = out["snapshots"]["hubc"]
    # The trigger message still dates the capture.
    assert snap["epoch"] is not None and any("epoch" in p["reason"] for p in out["problems"])
    assert out["verdicts"][0]["verdict"] == "unverified"


@pytest.mark.parametrize("kwargs, message", [
    (dict(tolerance="inf"), "tolerance"),
    (dict(tolerance="nan"), "tolerance"),
    (dict(tolerance=-1), "tolerance"),
    (dict(year="inf"), "year"),
    (dict(year=10 ** 6), "year"),
    (dict(year=True), "year"),
])
def test_filter_refuses_bad_numbers_by_name(kwargs, message):
    from ansible.errors import AnsibleFilterError
    from ansible_collections.netops.ipsec_spi.plugins.filter.spi_captures import spi_captures

    with pytest.raises(AnsibleFilterError, match=r"netops\.ipsec_spi\.spi_captures: .*%s" % message):
        spi_captures({"h": ""}, **kwargs)
