"""The check role with a syslog server's archive on top of live gathering (ipsec_spi_syslog_archive)."""
from __future__ import annotations

import gzip
import os

from test_check import assessments, compare_with_truth

ARCHIVE_PLAY = """
- name: Check with the syslog server's archive
  hosts: all
  gather_facts: false
  roles:
    - role: netops.ipsec_spi.check
      vars:
        ipsec_spi_syslog_archive: "{{ archive }}"
        ipsec_spi_syslog_archive_hosts: "{{ archive_hosts }}"
        ipsec_spi_syslog_archive_cache_dir: "{{ cache_dir }}"
"""
GATHER_TASK = "netops.ipsec_spi.check : Read the router (one connection, read-only commands) or its captured outputs"
ARCHIVE_TASK = "netops.ipsec_spi.check : Add the syslog server's invalid-SPI history (on the controller)"
OLD_SENDER = "203.0.113.250"
NOISE = b"Dec 31 23:59:58 collector-9 %SYS-5-CONFIG_I: Configured from console by admin on vty0\n"


def relayed(router, lines, by_address):
    """The router's buffered INV_SPI lines as a syslog server writes them: its name or its address in front."""
    out = []
    for line in lines:
        if "PKT_INV_SPI" not in line:
            continue
        dst = line.split("destaddr=", 1)[1].split(",", 1)[0]
        out.append("Dec 31 23:59:59 %s %s\n" % (dst if by_address else router + ".lab.example", line.strip()))
    return out


def test_archive_history_joins_live_evidence(lab, run_playbook, tmp_path):
    routers = sorted(lab.ground_truth["routers"])
    logs = tmp_path / "logs"
    logs.mkdir()
    current, rotated, mapped, distinct = [], [], {}, {}
    for index, router in enumerate(routers):
        [text] = lab.cli(router, ["show logging | include PKT_INV_SPI"])
        lines = relayed(router, text.splitlines(), by_address=index % 2 == 1)
        distinct[router] = len(set(lines))
        # the older half in the rotated, compressed file, everything again in the current one: each message once
        rotated.extend(lines[:len(lines) // 2])
        current.extend(lines)
    # history the routers' buffers no longer hold: an old foreign sender, named by a relay address that only the
    # map attributes to the first router
    first = routers[0]
    old = ("Jan  3 2020 10:00:00 198.18.0.99 000001: Jan  3 2020 10:00:00.000 UTC: %%CRYPTO-4-RECVD_PKT_INV_SPI: "
           "decaps: rec'd IPSEC packet has invalid spi for destaddr=192.0.2.254, prot=50, spi=0xDEAD0001, "
           "srcaddr=%s\n" % OLD_SENDER)
    mapped["198.18.0.99"] = first
    with gzip.open(str(logs / "messages.1.gz"), "wt") as out:
        out.writelines([old] + rotated)
    (logs / "messages").write_text("".join(current))
    (logs / "messages.2.gz").write_bytes(gzip.compress(NOISE * 2000)[:-6])  # truncated: reported, the rest read

    extra = {"archive": str(logs), "archive_hosts": mapped, "cache_dir": str(tmp_path / "cache")}
    result = run_playbook(ARCHIVE_PLAY, lab.inventory, extra_vars=extra)
    assert result.rc == 0, result
    live = {h: r["ansible_facts"]["ipsec_spi"] for h, r in result.task(GATHER_TASK).items()}
    merged = result.task(ARCHIVE_TASK)
    assert sorted(merged) == routers
    # read once for the whole run
    assert sorted(r["archive"]["read"] for r in merged.values()) == [False] * (len(routers) - 1) + [True]
    for router, res in merged.items():
        facts = res["ansible_facts"]["ipsec_spi"]
        brief = facts["syslog_archive"]
        names = {os.path.basename(f["path"]): f for f in brief["files"]}
        assert "corrupt" in names["messages.2.gz"]["error"]
        assert names["messages"]["duplicates"] == len(rotated)
        extra_flows = [f for f in facts["flows"] if f["src"] == OLD_SENDER]
        if router == first:
            assert [(f["first_seen"][:10], f["status"]) for f in extra_flows] == [("2020-01-03", "foreign")]
        else:
            assert extra_flows == []
        # every message of the router's buffer is in the archive too: counted once
        rest = [f for f in facts["flows"] if f["src"] != OLD_SENDER]
        assert rest == live[router]["flows"], router
        # a line repeated word for word (the same stamp) is one line of the archive
        assert brief["attributed_events"] == distinct[router] + len(extra_flows)
        assert live[router]["events_total"] >= distinct[router]
    found = assessments(result)
    for a in found.values():
        a["flows"] = [f for f in a["flows"] if f["src"] != OLD_SENDER]
    compare_with_truth(found, lab.ground_truth)
    assert any(OLD_SENDER in str(r.get("warnings")) or "messages.2.gz" in str(r.get("warnings"))
               for r in merged.values())
