"""Running-config as a tree, and IOS configuration mode over it.

IOS keeps the configuration as sections (a header line and indented children); configuration mode edits it
one line at a time in the context of the current submode.  This module is what makes `configure terminal`,
`no` forms, `exit`/`end` and `show running-config | section` behave like a router, so that
cisco.ios.ios_config sees its own lines come back and reports `changed: false` on a re-run.
"""
from __future__ import annotations

import re
from typing import Dict, List, Optional, Tuple


class Node:
    __slots__ = ("text", "children")

    def __init__(self, text: str, children: Optional[List["Node"]] = None) -> None:
        self.text = text
        self.children = children if children is not None else []

    def find(self, text: str) -> Optional["Node"]:
        for child in self.children:
            if child.text == text:
                return child
        return None


class CliError(Exception):
    """An IOS parser error: kind is invalid, incomplete or ambiguous; pos is the offending column."""

    def __init__(self, kind: str, pos: int = 0, text: str = "") -> None:
        super().__init__(kind)
        self.kind = kind
        self.pos = pos
        self.text = text


# Global configuration keywords (first word).  Anything else at the top level is `% Invalid input`.
GLOBAL_WORDS = sorted("""
aaa access-list alias archive banner boot bridge call-home cdp class-map clock control-plane crypto default
diagnostic do enable end errdisable event exit file hostname interface ip ipv6 key license line logging login
memory mpls multilink netconf no ntp object-group platform policy-map redundancy restconf router service
snmp-server spanning-tree subscriber track username version vrf vtp
""".split())

# Keywords that must be followed by something.
NEEDS_ARGS = set("""
aaa access-list alias archive banner boot class-map clock crypto default enable event hostname interface ip ipv6
key license line logging login memory ntp object-group platform policy-map router service snmp-server
spanning-tree track username version vrf description set match tunnel peer address pre-shared-key group
encryption hash authentication integrity proposal keyring identity dpd virtual-template mode permit deny remark
network action
""".split())

CRYPTO_WORDS = sorted("""
ca call ctcp dynamic-map engine gdoi identity ikev2 ipsec isakmp key keyring logging map mib pki wui
""".split())

# Submodes: prompt suffix and the first words valid inside them (besides no/default/exit/end/do).
MODES: Dict[str, Tuple[str, List[str]]] = {
    "if": ("config-if", """description ip ipv6 tunnel shutdown keepalive bandwidth delay mtu load-interval negotiation
        crypto encapsulation speed duplex cdp mpls service-policy vrf standby vrrp media-type channel-group
        carrier-delay arp zone-member nhrp snmp logging""".split()),
    "crypto-map": ("config-crypto-map", "set match description reverse-route qos".split()),
    "isakmp-policy": ("config-isakmp", "encryption encr hash authentication group lifetime".split()),
    "isakmp-profile": ("conf-isa-prof", """match keyring self-identity virtual-template keepalive vrf description
        initiate ca local-address client isakmp""".split()),
    "isakmp-group": ("config-isakmp-group", "key pool dns domain acl save-password include-local-lan".split()),
    "transform-set": ("cfg-crypto-trans", ["mode"]),
    "ipsec-profile": ("ipsec-profile", "set description responder-only".split()),
    "ikev2-proposal": ("config-ikev2-proposal", "encryption integrity group prf".split()),
    "ikev2-policy": ("config-ikev2-policy", "proposal match".split()),
    "ikev2-keyring": ("config-ikev2-keyring", ["peer"]),
    "ikev2-keyring-peer": ("config-ikev2-keyring-peer", "address pre-shared-key identity hostname description".split()),
    "ikev2-profile": ("config-ikev2-profile", """match identity authentication keyring dpd lifetime virtual-template
        description nat aaa config-exchange""".split()),
    "keyring": ("conf-keyring", "pre-shared-key rsa-pubkey description local-address".split()),
    "ezvpn": ("config-crypto-ezvpn", """connect group mode peer username xauth virtual-interface backup description
        nem-primary""".split()),
    "acl": ("config-ext-nacl", "permit deny remark evaluate".split()),
    "router": ("config-router", """network router-id passive-interface redistribute default-information area
        log-adjacency-changes auto-summary neighbor address-family eigrp bgp maximum-paths""".split()),
    "line": ("config-line", """login password transport exec-timeout logging privilege session-timeout length width
        stopbits access-class""".split()),
    "applet": ("config-applet", "event action description trigger".split()),
    "archive": ("config-archive", "path maximum write-memory time-period log".split()),
    "generic": ("config-sub", []),
}

SUBMODE_COMMON = ["no", "default", "exit", "end", "do"]

# Lines (by leading words) that IOS keeps once per section: entering them again replaces the old value.
SINGLE_VALUED = [
    "description", "ip address", "hostname", "tunnel source", "tunnel destination", "tunnel mode",
    "tunnel protection", "tunnel key", "mtu", "ip mtu", "ip tcp adjust-mss", "set transform-set",
    "set ikev2-profile", "set isakmp-profile", "set pfs", "set security-association lifetime seconds",
    "match address", "crypto isakmp keepalive", "crypto ikev2 dpd", "version", "ip nhrp network-id",
    "ip nhrp holdtime", "ip nhrp authentication", "keepalive", "bandwidth", "encryption", "hash",
    "authentication", "group", "lifetime", "dpd", "mode", "virtual-template", "keyring", "connect", "peer",
    "integrity", "crypto map", "ip unnumbered", "logging buffered", "address", "pre-shared-key",
    "logging trap", "logging facility", "logging origin-id", "logging source-interface",
]

INTERFACE_NAMES = [
    ("GigabitEthernet", "gi"), ("TenGigabitEthernet", "te"), ("FastEthernet", "fa"), ("Ethernet", "e"),
    ("Tunnel", "tu"), ("Loopback", "lo"), ("Virtual-Template", "virtual-t"), ("Virtual-Access", "virtual-a"),
    ("Port-channel", "po"), ("Vlan", "vl"), ("Dialer", "di"),
]

_IFNAME_RE = re.compile(r"^([A-Za-z-]+)\s*([0-9][0-9/.:]*)$")


def normalize_ifname(name: str) -> Optional[str]:
    """`gi1`, `Gig1`, `tunnel 5` -> the full IOS name, or None when no interface type matches."""
    m = _IFNAME_RE.match(name.strip())
    if not m:
        return None
    typ, num = m.group(1).lower(), m.group(2)
    hits = [full for full, short in INTERFACE_NAMES if full.lower().startswith(typ) and len(typ) >= min(2, len(short))]
    if len(hits) != 1:
        exact = [full for full, _short in INTERFACE_NAMES if full.lower() == typ]
        if len(exact) != 1:
            return None
        hits = exact
    return hits[0] + num


def expand_word(word: str, choices: List[str], pos: int) -> str:
    """IOS keyword abbreviation: a unique prefix stands for the keyword."""
    lw = word.lower()
    if lw in choices:
        return lw
    hits = [c for c in choices if c.startswith(lw)]
    if len(hits) == 1:
        return hits[0]
    if not hits:
        raise CliError("invalid", pos)
    raise CliError("ambiguous", pos)


def header_mode(words: List[str], parent: Optional[str]) -> Optional[str]:
    """The submode a line opens, or None if it is a plain line."""
    n = len(words)
    w0 = words[0] if words else ""
    if parent is None:
        if w0 == "interface" and n >= 2:
            return "if"
        if w0 == "crypto" and n >= 3:
            w1 = words[1]
            if w1 == "map" and n >= 4 and words[3].isdigit() and "dynamic" not in words:
                return "crypto-map"
            if w1 == "dynamic-map" and n >= 4:
                return "crypto-map"
            if w1 == "isakmp" and words[2] == "policy" and n >= 4:
                return "isakmp-policy"
            if w1 == "isakmp" and words[2] == "profile" and n >= 4:
                return "isakmp-profile"
            if w1 == "isakmp" and words[2:4] == ["client", "configuration"] and n >= 6:
                return "isakmp-group"
            if w1 == "ipsec" and words[2] == "transform-set" and n >= 5:
                return "transform-set"
            if w1 == "ipsec" and words[2] == "profile" and n >= 4:
                return "ipsec-profile"
            if w1 == "ipsec" and words[2:4] == ["client", "ezvpn"] and n >= 5:
                return "ezvpn"
            if w1 == "ikev2" and words[2] in ("proposal", "policy", "keyring", "profile") and n >= 4:
                return "ikev2-" + words[2]
            if w1 == "keyring":
                return "keyring"
            if w1 == "pki" and n >= 4:
                return "generic"
        if w0 == "ip" and n >= 4 and words[1] == "access-list" and words[2] in ("extended", "standard"):
            return "acl"
        if w0 == "router" and n >= 2:
            return "router"
        if w0 == "line" and n >= 2:
            return "line"
        if w0 == "event" and n >= 4 and words[1:3] == ["manager", "applet"]:
            return "applet"
        if w0 == "archive" and n == 1:
            return "archive"
        if w0 in ("control-plane",) or (w0 == "vrf" and n >= 3 and words[1] == "definition"):
            return "generic"
        return None
    if parent == "ikev2-keyring" and w0 == "peer" and n >= 2:
        return "ikev2-keyring-peer"
    return None


class ConfigTree:
    """A router's configuration; `lines()` renders it as IOS prints `show running-config` bodies."""

    def __init__(self, lines: Optional[List[str]] = None) -> None:
        self.root = Node("")
        if lines:
            self.load(lines)

    def load(self, lines: List[str]) -> None:
        stack: List[Tuple[int, Node]] = [(-1, self.root)]
        for raw in lines:
            if not raw.strip() or raw.strip() == "!":
                continue
            indent = len(raw) - len(raw.lstrip(" "))
            while stack and stack[-1][0] >= indent:
                stack.pop()
            node = Node(raw.strip())
            stack[-1][1].children.append(node)
            stack.append((indent, node))

    def lines(self) -> List[str]:
        out: List[str] = []

        def walk(node: Node, depth: int) -> None:
            for child in node.children:
                out.append(" " * depth + child.text)
                walk(child, depth + 1)

        prev_section = True
        for top in self.root.children:
            if top.children or prev_section:
                out.append("!")
            out.append(top.text)
            walk(top, 1)
            prev_section = bool(top.children)
        out.append("!")
        return out

    def has_line(self, text: str) -> bool:
        return self.root.find(text) is not None

    def sections(self, prefix: str) -> List[Node]:
        return [n for n in self.root.children if n.text == prefix or n.text.startswith(prefix + " ")]

    def copy(self) -> "ConfigTree":
        return ConfigTree(self.lines())


# Second words that make an interface-mode keyword a global command instead (IOS tries the submode first).
_GLOBAL_SECOND = {
    "crypto": {"isakmp", "ikev2", "keyring", "pki", "dynamic-map", "logging", "ca", "key", "engine", "call"},
    "ip": {"route", "access-list", "domain", "domain-name", "name-server", "local", "http", "ssh", "scp", "sla",
           "prefix-list", "host", "dhcp", "forward-protocol", "multicast-routing", "cef", "routing"},
    "logging": {"buffered", "host", "trap", "console", "monitor", "source-interface", "facility", "origin-id"},
}


def _child_ok(mode: str, words: List[str]) -> bool:
    if mode == "if" and len(words) >= 2 and words[1] in _GLOBAL_SECOND.get(words[0], ()):
        return False
    return True


def _single_key(text: str) -> Optional[str]:
    if text.startswith("logging host "):
        # one line per collector: `logging host X transport udp port N` again replaces X's line
        words = text.split()
        return " ".join(words[:4] if len(words) > 3 and words[2] == "ipv6" else words[:3])
    for key in SINGLE_VALUED:
        if text == key or text.startswith(key + " "):
            if key == "crypto map" and len(text.split()) != 3:
                return None
            return key
    return None


def _applet_key(text: str) -> Optional[str]:
    words = text.split()
    if words[0] == "description":
        return "description"
    if words[0] == "event" and (len(words) < 2 or words[1] != "tag"):
        return "event"
    if words[0] == "action" and len(words) >= 2:
        return "action " + words[1]
    return None


def _applet_rank(text: str) -> Tuple[int, str]:
    words = text.split()
    order = {"description": 0, "event": 1, "trigger": 2, "action": 3}
    return (order.get(words[0], 4), words[1] if words[0] == "action" and len(words) > 1 else "")


def _add_applet(parent: Node, text: str) -> Node:
    # An applet has one event, and one action per label (entering a label again replaces it);
    # IOS prints the actions sorted by label as strings, the order it runs them in.
    key = _applet_key(text)
    if key is not None:
        parent.children = [c for c in parent.children if _applet_key(c.text) != key]
    node = Node(text)
    parent.children.append(node)
    parent.children.sort(key=lambda c: _applet_rank(c.text))
    return node


def _add(parent: Node, text: str, mode: Optional[str] = None) -> Node:
    existing = parent.find(text)
    if existing is not None:
        return existing
    if mode == "applet":
        return _add_applet(parent, text)
    key = _single_key(text)
    if key is not None:
        for i, child in enumerate(parent.children):
            if _single_key(child.text) == key and not child.children:
                parent.children[i] = Node(text)
                return parent.children[i]
    node = Node(text)
    parent.children.append(node)
    return node


def _remove(parent: Node, text: str) -> None:
    parent.children = [c for c in parent.children if not (c.text == text or c.text.startswith(text + " "))]


class ConfigSession:
    """One terminal's configuration-mode context: a stack of (mode, node) below the root."""

    def __init__(self, tree: ConfigTree) -> None:
        self.tree = tree
        self.stack: List[Tuple[str, Node]] = []
        self.changed = False

    @property
    def prompt_suffix(self) -> str:
        if not self.stack:
            return "(config)#"
        return "(%s)#" % MODES[self.stack[-1][0]][0]

    def _normalize(self, words: List[str], offsets: List[int], valid: List[str]) -> List[str]:
        words = list(words)
        words[0] = expand_word(words[0], valid, offsets[0])
        if words[0] == "interface" and len(words) >= 2:
            spec = " ".join(words[1:3]) if len(words) >= 3 and words[2][:1].isdigit() else words[1]
            full = normalize_ifname(spec)
            if full is None:
                raise CliError("invalid", offsets[1])
            rest = words[3:] if len(words) >= 3 and words[2][:1].isdigit() else words[2:]
            words = ["interface", full] + rest
        if words[0] == "crypto" and len(words) >= 2:
            words[1] = expand_word(words[1], CRYPTO_WORDS, offsets[1])
        return words

    def apply(self, line: str) -> str:
        """Apply one configuration line.  Returns 'exit' when configuration mode is left, else ''."""
        stripped = line.strip()
        if not stripped or stripped.startswith("!"):
            return ""
        offsets = [m.start() + (len(line) - len(line.lstrip())) for m in re.finditer(r"\S+", line.strip())]
        words = stripped.split()
        mode = self.stack[-1][0] if self.stack else None
        first = words[0].lower()
        if first in ("end",) and len(words) == 1:
            self.stack = []
            return "exit"
        if first == "exit" and len(words) == 1:
            if not self.stack:
                return "exit"
            self.stack.pop()
            return ""
        negate = first in ("no", "default")
        body, body_off = (words[1:], offsets[1:]) if negate else (words, offsets)
        if negate and not body:
            raise CliError("incomplete")
        # Inside a submode, IOS first tries the submode's commands, then falls back to the parent modes;
        # an invalid line leaves the mode unchanged.
        depth = len(self.stack)
        while depth > 0:
            sub_mode, sub_node = self.stack[depth - 1]
            if sub_mode == "generic":
                self.stack = self.stack[:depth]
                self._apply_at(sub_node, list(body), negate, None)
                return ""
            sub_words = MODES[sub_mode][1]
            try:
                norm = self._normalize(body, body_off, sub_words)
            except CliError:
                norm = None
            if norm is not None and _child_ok(sub_mode, norm) and (norm[0] in sub_words or norm[0] not in GLOBAL_WORDS):
                self.stack = self.stack[:depth]
                self._apply_at(sub_node, norm, negate, sub_mode)
                return ""
            depth -= 1
        norm = self._normalize(body, body_off, GLOBAL_WORDS)
        if norm[0] in ("exit", "end", "do", "no", "default"):
            raise CliError("invalid", body_off[0])
        self._check_args(norm)
        self.stack = []
        self._apply_at(self.tree.root, norm, negate, None)
        return ""

    def _check_args(self, words: List[str]) -> None:
        if len(words) == 1 and words[0] in NEEDS_ARGS:
            raise CliError("incomplete")
        if words[0] == "crypto" and len(words) == 2 and words[1] in ("isakmp", "ipsec", "ikev2", "map", "dynamic-map", "pki"):
            raise CliError("incomplete")

    def _apply_at(self, parent: Node, words: List[str], negate: bool, mode: Optional[str]) -> None:
        self._check_args(words)
        text = " ".join(words)
        if negate:
            _remove(parent, text)
            self.changed = True
            return
        sub = header_mode(words, mode)
        node = _add(parent, text, mode)
        self.changed = True
        if sub is not None:
            if mode is None:
                self.stack = [(sub, node)]
            else:
                self.stack.append((sub, node))


def filter_section(lines: List[str], pattern: str) -> List[str]:
    """`| section REGEX`: whole top-level sections whose header or any child matches."""
    rx = re.compile(pattern)
    out: List[str] = []
    block: List[str] = []

    def flush() -> None:
        if block and any(rx.search(b) for b in block):
            out.extend(block)

    for line in lines:
        if line and not line.startswith(" "):
            flush()
            block = [line]
        elif line.startswith(" "):
            block.append(line)
    flush()
    return out
