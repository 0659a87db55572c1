"""A generated history: N nights of a hub-and-spoke fleet with planted recurring pairs and planted hint conditions.

Pure and seeded (no lab, no clock). Each night builds the per-router assessments a run would give
(flows, performed actions), turns them into rows with history.episode_rows / action_rows, and merges
them the way the store's upsert does (store-contract.md). The last night also gets both ends' facts,
in which the hint conditions are planted. Used by test_history_fleet.py and benchmarks/bench_history.py.
"""
from __future__ import annotations

import random
import zlib
from typing import Any, Dict, List, Optional, Tuple

from ansible_collections.netops.ipsec_spi.plugins.module_utils import history
from ansible_collections.netops.ipsec_spi.plugins.module_utils.commands import COMMAND_OF

DAY = 86400.0
START = 1_780_000_000.0 - 30 * DAY
HUBS = 10
GOOD_LIFETIME = 3600

# (episodes, hints planted on the last night) for each planted recurring pair.
PLANTED = [
    (3, {"reload:receiver"}),
    (4, {"rekey_race:sender"}),
    (5, {"no_ike_sa:receiver"}),
    (6, {"dpd_missing:sender"}),
    (7, {"lifetime_mismatch:both"}),
    (8, {"spi_top_byte_ff:sender"}),
    (10, set()),
    (30, {"reload:sender", "dpd_missing:receiver"}),
]


def hub(index: int) -> str:
    return "hub%02d" % index


def spoke(index: int) -> str:
    return "spoke%04d" % index


def addr(host: str) -> str:
    if host.startswith("hub"):
        return "10.0.0.%d" % (int(host[3:]) + 1)
    number = int(host[5:])
    return "10.%d.%d.1" % (1 + number // 250, number % 250)


def pairs_of(routers: int) -> List[Tuple[str, str]]:
    """(receiver hub, sender spoke): every spoke talks to one hub."""
    return [(hub(i % HUBS), spoke(i)) for i in range(routers - HUBS)]


def _flow(receiver: str, sender: str, spi: int, first: float, status: str = "persistent") -> Dict[str, Any]:
    return {"src": addr(sender), "dst": addr(receiver), "spi": spi, "status": status,
            "verdict": "confirmed" if status == "persistent" else None, "sender": sender,
            "first_epoch": first, "last_epoch": first + (240.0 if status == "persistent" else 0.0),
            "count": 5 if status == "persistent" else 1}


def _clear(receiver: str, sender: str, spi: int) -> Dict[str, Any]:
    return {"action": "clear_sa", "receiver": receiver, "sender_addr": addr(sender), "spi": spi, "result": "done",
            "verified": True, "command": "clear crypto sa peer %s" % addr(receiver)}


def night_assessments(routers: int, night: int, schedule: Dict[Tuple[str, str], List[int]],
                      transient: Dict[Tuple[str, str], List[int]], ff_last: Optional[Tuple[str, str]],
                      nights: int) -> Dict[str, Dict[str, Any]]:
    """Every router's assessment of one night (only what the history reads: flows and performed actions)."""
    base = START + night * DAY
    out: Dict[str, Dict[str, Any]] = {}
    for name in [hub(i) for i in range(HUBS)] + [spoke(i) for i in range(routers - HUBS)]:
        out[name] = {"host": name, "assessed": True, "flows": [], "performed_actions": [], "findings": [],
                     "tunnels": []}
    for (receiver, sender), nights_broken in schedule.items():
        if night in nights_broken:
            spi = 0x10000000 + (zlib.crc32(("%s %s %d" % (receiver, sender, night)).encode()) & 0x0FFFFFFF)
            if ff_last == (receiver, sender) and night == nights - 1:
                spi = 0xFF000000 | (spi & 0xFFFFFF)
            first = base + 3600.0
            out[receiver]["flows"].append(_flow(receiver, sender, spi, first))
            out[sender]["performed_actions"].append(_clear(receiver, sender, spi))
    for (receiver, sender), nights_seen in transient.items():
        if night in nights_seen:
            out[receiver]["flows"].append(_flow(receiver, sender, 0x20000000 + night, base + 1800.0, "transient"))
    return out


def _facts(host: str, clock: float, uptime: str, lifetime: Optional[int], dpd: bool, ike: List[Dict[str, Any]],
           sas: List[Dict[str, Any]], peer: str) -> Dict[str, Any]:
    return {"host": host, "platform": {"uptime": uptime}, "device_epoch": clock,
            "inventory": {"dpd": {"ikev1": dpd, "ikev2": dpd}, "ipsec_lifetime_sec": lifetime,
                          "tunnels": [{"name": "Tunnel1", "ike_version": "ikev1", "peers": [peer]}]},
            "ipsec_sas": [{"peer": peer, "sas": sas}], "ike_sas": ike,
            "commands": [COMMAND_OF["ipsec_sa"], COMMAND_OF["isakmp_sa"]]}


def _uptime(seconds: float) -> str:
    minutes = int(seconds // 60)
    days, minutes = divmod(minutes, 1440)
    hours, minutes = divmod(minutes, 60)
    return "%d days, %d hours, %d minutes" % (days, hours, minutes)


def last_night_facts(receiver: str, sender: str, episode: Dict[str, Any], planted: set) -> Dict[str, Dict[str, Any]]:
    """Both ends' facts, read 20 minutes after the last episode began, with exactly the planted conditions."""
    first = episode["first_epoch"]
    clock = first + 1200.0
    long_up = _uptime(40 * DAY)
    fresh_up = _uptime(clock - (first - 600.0))  # booted 10 min before the first INV_SPI
    ike_ok = [{"remote": addr(sender), "state": "QM_IDLE"}]
    sender_lifetime = 28800 if "lifetime_mismatch:both" in planted else GOOD_LIFETIME
    # The sender's SA: installed 60 s before the first INV_SPI (a rekey race), else 30 minutes before it.
    installed = first - 60.0 if "rekey_race:sender" in planted else first - 1800.0
    remaining = int(sender_lifetime - (clock - installed))
    sender_sas = [{"direction": "outbound", "spi": episode["spi"], "remaining_sec": remaining}]
    return {
        receiver: _facts(receiver, clock, fresh_up if "reload:receiver" in planted else long_up, None,
                         "dpd_missing:receiver" not in planted, [] if "no_ike_sa:receiver" in planted else ike_ok,
                         [], addr(sender)),
        sender: _facts(sender, clock, fresh_up if "reload:sender" in planted else long_up,
                       28800 if "lifetime_mismatch:both" in planted else None, "dpd_missing:sender" not in planted,
                       [{"remote": addr(receiver), "state": "QM_IDLE"}], sender_sas, addr(receiver)),
    }


def generate(routers: int = 200, nights: int = 30, seed: int = 28, min_episodes: int = 3,
             near_misses: int = 20, transients: int = 30) -> Dict[str, Any]:
    """The history of ``nights`` nights: rows as the store holds them, and what was planted."""
    rng = random.Random(seed)
    pairs = pairs_of(routers)
    rng.shuffle(pairs)
    # One planted pair per hub: a hub's facts carry the conditions planted for its pair.
    chosen: List[Tuple[str, str]] = []
    for pair in pairs:
        if len(chosen) < len(PLANTED) and pair[0] not in {c[0] for c in chosen}:
            chosen.append(pair)
    planted = {pair: PLANTED[i] for i, pair in enumerate(chosen)}
    schedule: Dict[Tuple[str, str], List[int]] = {}
    for pair, (count, _hints) in planted.items():
        # The last night is always one of them: its facts carry the planted hint conditions.
        schedule[pair] = sorted(set(rng.sample(range(nights - 1), count - 1)) | {nights - 1})
    rest = [p for p in pairs if p not in planted]
    for pair in rest[:near_misses]:
        schedule[pair] = sorted(rng.sample(range(nights), rng.randint(1, min_episodes - 1)))
    transient = {pair: sorted(rng.sample(range(nights), 5)) for pair in rest[near_misses:near_misses + transients]}
    ff_pair = next(p for p, (_c, h) in planted.items() if "spi_top_byte_ff:sender" in h)
    store_episodes: Dict[Tuple[str, str, int], Dict[str, Any]] = {}
    store_actions: Dict[Tuple[str, str, str, Optional[str]], Dict[str, Any]] = {}
    for night in range(nights):
        run_epoch = START + night * DAY + 7200.0
        assessments = night_assessments(routers, night, schedule, transient, ff_pair, nights)
        history.merge_rows(store_episodes, history.episode_rows(assessments, run_epoch, "remediate", "night-%02d" % night))
        for row in history.action_rows(assessments, run_epoch, "night-%02d" % night):
            store_actions[(row["run_id"], row["receiver"], row["action"], row["peer"])] = row
    episodes = sorted(store_episodes.values(), key=lambda r: (r["receiver"], r["sender_addr"], r["first_epoch"]))
    facts: Dict[str, Dict[str, Any]] = {}
    for (receiver, sender), (_count, hints_planted) in planted.items():
        last = max((e for e in episodes if e["receiver"] == receiver and e["sender_addr"] == addr(sender)),
                   key=lambda e: e["first_epoch"])
        facts.update(last_night_facts(receiver, sender, last, hints_planted))
    return {"episodes": episodes, "actions": list(store_actions.values()), "facts": facts,
            "now": START + nights * DAY, "schedule": schedule,
            "planted": {(r, addr(s)): set(h) for (r, s), (_c, h) in planted.items()},
            "counts": {(r, addr(s)): len(n) for (r, s), n in schedule.items()}}
