"""Read-only views of the fleet for the control channel: one router's whole state as JSON-ready data."""
from __future__ import annotations

from typing import Any, Dict

from .render import running_config
from .sim import Fleet


def router_state(fleet: Fleet, name: str) -> Dict[str, Any]:
    """Everything the control channel's `state` op returns for one router (docs/lab.md)."""
    with fleet.lock:
        now = fleet.sync()
        r = fleet.routers[name]
        sas = []
        for link, side in fleet.links_of(name):
            sas.append({"peer": side.peer_addr, "peer_router": link.other(side).router, "local": side.addr,
                        "kind": side.tunnel.kind if side.tunnel else None,
                        "tunnel": side.tunnel.name if side.tunnel else None, "ike_version": link.ike,
                        "ike_sa": side.ike, "outbound_spi": side.spi_out, "inbound_spi": side.spi_in,
                        "pkts_encaps": int(side.encaps), "pkts_decaps": int(side.decaps),
                        "desynced": link.desync is not None,
                        "desync_role": (None if link.desync is None else
                                        ("sender" if (link.desync.sender == "a") == (side is link.a) else "receiver"))})
        return {
            "name": name, "port": r.port, "address": r.spec.addr, "platform": r.spec.platform,
            "qfp": r.qfp_capable, "knob": r.knob, "running_config": running_config(fleet, r, now),
            "sas": sas,
            "counters": {"qfp_drops": {k: {"packets": int(v[0]), "octets": int(v[1])} for k, v in r.qfp.items()},
                         "ipsec_drops": {k: int(v) for k, v in r.ipsec_drops.items()}},
            "log": [line for _epoch, line in r.log],
            "history": list(r.history), "connections": list(r.connections[-200:]),
            "fault": dict(r.fault), "clock": {"now": now, "speed": fleet.clock.speed},
            "flash": r.flash.state(), "eem_runs": list(r.eem_runs), "syslog": fleet.remote_log.state(r),
        }
