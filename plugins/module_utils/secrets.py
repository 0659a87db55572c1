# -*- coding: utf-8 -*-
# Copyright: netops.ipsec_spi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Secrets never leave the core: the one home of masking.

One rule, applied token by token to each line of text, wherever the secret
sits on the line (no regex backtracking, linear in the line):
``mask_secrets`` for a config line, ``mask_text`` for any device text that
reaches a report (the second lock on the door; the config parser has masked
its lines already). ``mask_line`` also returns what it removed, so that
``scrub`` can mask a secret of a config reused as plain text elsewhere in it.
A copy of a secret elsewhere on the line is masked even inside a longer
token (``S3cret,S3cret``): the whole token goes.
"""

from __future__ import annotations

import re
from typing import Callable, Dict, Iterable, List, Optional, Set, Tuple

from ansible_collections.netops.ipsec_spi.plugins.module_utils.common import ParseError

MASK = "<masked>"

_TOKEN_RE = re.compile(r"\S+")
# Every rule needs one of these words; most lines have none.
_TRIGGER_RE = re.compile("password|secret|key|authentication|encryption|snmp-server|community|wpa-psk|md5|passphrase|pki")
# IOS password "types": 0 clear, 4/5/8/9 hashes, 6 AES, 7 Vigenere.
_TYPE_DIGITS = frozenset(("0", "4", "5", "6", "7", "8", "9"))
# Keywords after which the rest of the line is secret (after an optional type digit).
_REST_KEYWORDS = frozenset(
    ("password", "secret", "key-string", "authentication-key", "message-digest-key", "area-password",
     "domain-password", "session-key", "wpa-psk", "passphrase")
)
# `crypto key SUBCOMMAND`: the PKI commands, whose secrets (if any) are a `passphrase` or the last word.
_PKI_KEY_COMMANDS = frozenset(
    ("decrypt", "encrypt", "export", "generate", "import", "lock", "move", "pubkey-chain", "storage", "unlock", "zeroize")
)
_SNMP_PRIV_ALGS = frozenset(("des", "3des", "aes"))
_SNMP_AUTH_ALGS = frozenset(("md5", "sha", "sha256", "sha384", "sha512"))
# After `md5` comes a key (`ipsec spi 256 md5 KEY`, `md5 7 KEY`) or a keyword that is not one.
_MD5_NOT_SECRET = frozenset(("key-string", "key-chain", "sha", "sha1", "sha256", "sha384", "sha512"))
_COMMUNITY_ACCESS = frozenset(("ro", "rw", "view", "ipv6"))
_PEER_WORDS = frozenset(("address", "hostname"))
# Words that start a rule or set the context of one; any other token is passed over.
_RULE_WORDS = _REST_KEYWORDS | frozenset(
    ("snmp-server", "standby", "vrrp", "glbp", "crypto", "key", "pre-shared-key", "authentication", "encryption",
     "auth", "priv", "community", "md5")
)
# A rule's keywords and the words a rule reads as the word before (`nhrp authentication`).
_CONTEXT_WORDS = _RULE_WORDS | frozenset(("nhrp",))
# Also keywords at the end of a longer token after a non-word character (`x-password S`), as a regex
# `\bpassword` would take them.
_BOUNDARY_WORDS = frozenset(("password", "secret", "key-string", "authentication-key", "community", "md5", "pre-shared-key"))
_BOUNDARY_SIZES = sorted({len(word) for word in _BOUNDARY_WORDS}, reverse=True)
# Words the rules read to find a secret: never masked as a copy of one (the masked line must read the same).
_STEERING = (
    _CONTEXT_WORDS | _TYPE_DIGITS | _PEER_WORDS | _SNMP_PRIV_ALGS | _SNMP_AUTH_ALGS | _MD5_NOT_SECRET
    | _COMMUNITY_ACCESS | _PKI_KEY_COMMANDS | frozenset(
        ("isakmp", "host", "vrf", "informs", "traps", "version", "noauth", "level", "ascii", "hex", "local", "remote",
         "chain", "text", "ipsec", "spi", "128", "192", "256")
    )
)
# Text that is a mask already (ours, or another tool's): left as it is, and not a secret to look for.
_MASKED_RE = re.compile(r"^(?:\*+|<[a-z_ -]*>|\[masked\]|\$masked\$?)$", re.IGNORECASE)
# Short numbers in a masked range (key ids, key lengths) are not looked for elsewhere on the line.
_SHORT_NUMBER_RE = re.compile(r"^[0-9]{1,3}$")
_PUNCT = "\"'.,;:()[]{}<>"
# Needle-in-token checks per line before masking every word that no rule reads (see mask_line).
_HUNT_BUDGET = 200000


def _type_skip(low: List[str], i: int, end: int) -> int:
    """Skip an encryption-type digit when a secret token still follows it."""
    if i < end - 1 and low[i] in _TYPE_DIGITS:
        return i + 1
    return i


def _boundary_word(tok: str) -> str:
    """The keyword a longer token ends with after a non-word character, or the token itself."""
    size = len(tok)
    for word_size in _BOUNDARY_SIZES:
        if size > word_size:
            before = tok[-word_size - 1]
            if not (before.isalnum() or before == "_") and tok[-word_size:] in _BOUNDARY_WORDS:
                return tok[-word_size:]
    return tok


def _one_word(low: List[str], j: int, ranges: List[Tuple[int, int]]) -> int:
    """Mask the one word at ``j``, unless it is a rule's own keyword; return where to go on.

    Masking a keyword would make the masked line read differently (masking twice must change
    nothing). A longer word ending in one (``Zq=password``) is masked, then read as the keyword too.
    """
    tok = low[j]
    if tok in _CONTEXT_WORDS:
        return j
    ranges.append((j, j + 1))
    if not tok.isalnum() and _boundary_word(tok) in _CONTEXT_WORDS:
        return j
    return j + 1


def _isakmp_key(low: List[str], i: int, ranges: List[Tuple[int, int]]) -> int:
    """``crypto isakmp key [type] KEY address|hostname X``: keep what names the peer; return where to go on."""
    n = len(low)
    j = i + 3
    if j + 1 < n and low[j] in _TYPE_DIGITS:
        # A type digit, unless it is the key itself (`key 6 address X`); the key may be the word "address".
        if low[j + 1] not in _PEER_WORDS or (j + 2 < n and low[j + 2] in _PEER_WORDS):
            j += 1
    if j >= n:
        return j
    end = j + 1
    while end < n and low[end] not in _PEER_WORDS:
        end += 1
    ranges.append((j, end))
    return end


def _snmp_host(low: List[str], i: int, ranges: List[Tuple[int, int]]) -> int:
    """``snmp-server host H [vrf V] [informs|traps] [version 1|2c|3 [auth|noauth|priv]] COMMUNITY|USER``."""
    n = len(low)
    if i + 2 < n and low[i + 2] in _CONTEXT_WORDS:
        # No host address but a rule's keyword: that rule reads it.
        return i + 2
    j = i + 3
    version = None
    while j < n:
        if low[j] == "vrf":
            j += 2
        elif low[j] in ("informs", "traps"):
            j += 1
        elif low[j] == "version" and j + 1 < n:
            version = low[j + 1]
            j += 2
            if version == "3" and j < n and low[j] in ("auth", "noauth", "priv"):
                j += 1
        else:
            break
    if j < n and version != "3":
        # SNMPv3 names a user here; v1 and v2c the community itself.
        return _one_word(low, j, ranges)
    return j


class _Scan:
    """One line's lower-case words, the secret ranges found so far, and the context a rule reads."""

    __slots__ = ("low", "n", "ranges", "snmp", "fhrp")

    def __init__(self, low: List[str]) -> None:
        self.low = low
        self.n = len(low)
        self.ranges: List[Tuple[int, int]] = []
        # Set by an earlier word of the line: `auth`/`priv` name SNMPv3 keys, a bare `authentication` an FHRP key.
        self.snmp = False
        self.fhrp = False

    def word(self, k: int) -> str:
        """The word at ``k``, or "" off either end of the line."""
        return self.low[k] if 0 <= k < self.n else ""

    def rest(self, j: int, type_digit: bool = True) -> Optional[int]:
        """Mask from ``j`` (after an optional type digit) to the end of the line; None: the scan ends."""
        if type_digit:
            j = _type_skip(self.low, j, self.n)
        if j < self.n:
            self.ranges.append((j, self.n))
        return None


# A rule reads the line from its keyword at ``i`` (``tok``: the token, or the keyword it ends with) and returns
# where the scan goes on, or None when the rest of the line is decided.
_Rule = Callable[[_Scan, int, str], Optional[int]]


def _rest_keyword(scan: _Scan, i: int, tok: str) -> Optional[int]:
    """``password``, ``secret``, ``key-string``...: the rest of the line, after a level or a wpa-psk format."""
    low, n = scan.low, scan.n
    j = i + 1
    if tok in ("password", "secret") and j + 1 < n and low[j] == "level":
        j += 2
    if tok == "wpa-psk" and j < n and low[j] in ("ascii", "hex"):
        j += 1
    return scan.rest(j)


def _snmp_server(scan: _Scan, i: int, tok: str) -> Optional[int]:
    """``snmp-server``: SNMP context for ``auth``/``priv``; ``snmp-server host`` names a community."""
    scan.snmp = True
    if scan.word(i + 1) == "host":
        return _snmp_host(scan.low, i, scan.ranges)
    return i + 1


def _fhrp(scan: _Scan, i: int, tok: str) -> Optional[int]:
    """``standby``, ``vrrp``, ``glbp``: a bare ``authentication`` later on the line is followed by a key."""
    scan.fhrp = True
    return i + 1


def _crypto(scan: _Scan, i: int, tok: str) -> Optional[int]:
    """``crypto isakmp key`` names a peer's key; ``crypto key|pki export|import`` ends with a pass phrase."""
    low, n = scan.low, scan.n
    nxt = scan.word(i + 1)
    if nxt == "isakmp" and i + 2 < n and low[i + 2] == "key":
        return _isakmp_key(low, i, scan.ranges)
    if nxt in ("key", "pki") and i + 2 < n and low[i + 2] in ("export", "import") and n - i >= 6:
        # `crypto key|pki export|import ... PASSPHRASE`: the pass phrase ends the command.
        scan.ranges.append((n - 1, n))
        return None
    return i + 1


def _key(scan: _Scan, i: int, tok: str) -> Optional[int]:
    """``key [type] KEY`` (keyring, EzVPN, tunnel, TACACS): the rest of the line, unless a PKI command or chain."""
    prev, nxt = scan.word(i - 1), scan.word(i + 1)
    # `crypto key generate ...` is a PKI command, `key chain NAME` names a chain.
    if not (prev == "crypto" and nxt in _PKI_KEY_COMMANDS) and nxt != "chain":
        return scan.rest(i + 1)
    return i + 1


def _pre_shared_key(scan: _Scan, i: int, tok: str) -> Optional[int]:
    """``pre-shared-key [local|remote] [type] KEY``: the rest of the line, unless a keyring names the peer first."""
    low, n = scan.low, scan.n
    j = i + 1
    if j < n and low[j] in ("local", "remote"):
        j += 1
    # IKEv1 keyring form: pre-shared-key address X key K; the "key" keyword follows.
    if not (j < n and low[j] in ("address", "hostname", "key-chain")):
        return scan.rest(j)
    return i + 1


def _authentication(scan: _Scan, i: int, tok: str) -> Optional[int]:
    """``authentication``/``encryption``: OSPFv3 IPsec keys, NHRP, HSRP ``text`` and FHRP keys."""
    n = scan.n
    prev, nxt = scan.word(i - 1), scan.word(i + 1)
    if nxt == "ipsec" and i + 3 < n and scan.low[i + 2] == "spi":
        # OSPFv3: `authentication|encryption ipsec spi N ALG [type] KEY ...`.
        return scan.rest(i + 4, type_digit=False)
    if tok == "authentication":
        if prev == "nhrp":
            return scan.rest(i + 1, type_digit=False)
        if nxt == "text":
            return scan.rest(i + 2)
        if scan.fhrp and nxt not in ("md5", "") and i + 1 < n:
            return scan.rest(i + 1, type_digit=False)
    return i + 1


def _snmp_auth(scan: _Scan, i: int, tok: str) -> Optional[int]:
    """SNMPv3 ``auth ALG KEY``: the one word."""
    if scan.snmp and i + 2 < scan.n and scan.word(i + 1) in _SNMP_AUTH_ALGS:
        return _one_word(scan.low, i + 2, scan.ranges)
    return i + 1


def _snmp_priv(scan: _Scan, i: int, tok: str) -> Optional[int]:
    """SNMPv3 ``priv ALG [bits] KEY``: the one word."""
    low, n = scan.low, scan.n
    if scan.snmp and i + 2 < n and scan.word(i + 1) in _SNMP_PRIV_ALGS:
        j = i + 2
        if j + 1 < n and low[j] in ("128", "192", "256"):
            j += 1
        return _one_word(low, j, scan.ranges)
    return i + 1


def _community(scan: _Scan, i: int, tok: str) -> Optional[int]:
    """``community [type] STRING``: the string (and its type digit)."""
    low, n = scan.low, scan.n
    if i + 1 >= n:
        return i + 1
    nxt = low[i + 1]
    # `community 7 X`: a type digit before the string, unlike `community 12 RO`.
    if (_SHORT_NUMBER_RE.match(nxt) and len(nxt) <= 2 and i + 2 < n and low[i + 2] not in _COMMUNITY_ACCESS
            and low[i + 2] not in _CONTEXT_WORDS):
        scan.ranges.append((i + 1, i + 3))
        # A string ending in a keyword (`Zq=password`) is read as the keyword too.
        return i + 2 if not low[i + 2].isalnum() and _boundary_word(low[i + 2]) in _CONTEXT_WORDS else i + 3
    return _one_word(low, i + 1, scan.ranges)


def _md5(scan: _Scan, i: int, tok: str) -> Optional[int]:
    """``md5 [type] KEY``: the one word, unless a keyword that names no key follows."""
    low, n = scan.low, scan.n
    j = _type_skip(low, i + 1, n)
    if j < n and low[j] not in _MD5_NOT_SECRET:
        return _one_word(low, j, scan.ranges)
    return i + 1


_RULES: Dict[str, _Rule] = {
    **{word: _rest_keyword for word in _REST_KEYWORDS},
    "snmp-server": _snmp_server, "standby": _fhrp, "vrrp": _fhrp, "glbp": _fhrp, "crypto": _crypto, "key": _key,
    "pre-shared-key": _pre_shared_key, "authentication": _authentication, "encryption": _authentication,
    "auth": _snmp_auth, "priv": _snmp_priv, "community": _community, "md5": _md5,
}


def _rule_word(tok: str) -> Optional[str]:
    """The rule keyword a token is or ends with (``x-password``), or None."""
    if tok in _RULE_WORDS:
        return tok
    if tok.isalnum():
        return None
    tok = _boundary_word(tok)
    return tok if tok in _RULE_WORDS else None


def _mask_ranges(low: List[str]) -> List[Tuple[int, int]]:
    """Token index ranges [start, end) that hold secrets, in order, not overlapping.

    Every rule applies at every position: a second command or a second copy of
    a keyword on the line is masked like the first.
    """
    scan = _Scan(low)
    i: Optional[int] = 0
    while i is not None and i < scan.n:
        tok = _rule_word(low[i])
        i = i + 1 if tok is None else _RULES[tok](scan, i, tok)
    return scan.ranges


def _steers(word: str) -> bool:
    """Whether a rule reads this word (a keyword, a type digit, a short number, a mask)."""
    low_word = word.lower()
    return bool(_SHORT_NUMBER_RE.match(word) or low_word in _STEERING or _boundary_word(low_word) in _STEERING
                or _MASKED_RE.match(word))


def mask_line(line: str) -> Tuple[str, List[str]]:
    """Mask one line; return it with the secret strings that were removed."""
    low_line = line.lower()
    if not _TRIGGER_RE.search(low_line):
        return line, []
    # lower() never adds or removes white space: the lower-case words align with the spans.
    low = low_line.split()
    ranges = _mask_ranges(low)
    if not ranges:
        return line, []
    spans = [(m.start(), m.end()) for m in _TOKEN_RE.finditer(line)]
    kept: List[Tuple[int, int]] = []
    words: Set[str] = set()
    # What to look for inside longer tokens: the secret words, and a secret that a rule also reads as
    # the keyword it ends with (``Zq=password``), which is no word of its own elsewhere.
    needles: Set[str] = set()
    for start, end in ranges:
        if _MASKED_RE.match(line[spans[start][0]:spans[end - 1][1]]):
            continue
        kept.append((start, end))
        for s, e in spans[start:end]:
            word = line[s:e]
            if not _steers(word):
                words.add(word)
            if not (_SHORT_NUMBER_RE.match(word) or word.lower() in _STEERING or _MASKED_RE.match(word)):
                needles.add(word)
                needles.add(word.strip(_PUNCT))
    if not kept:
        return line, []
    # Every other copy of a masked word on the line, also inside a longer token (``S3cret,S3cret``,
    # ``key=S3cret``): masking must not depend on position. Words the rules steer by are never
    # masked as copies, so that the masked line reads the same (masking twice changes nothing).
    masked_at = [False] * len(spans)
    for start, end in kept:
        for k in range(start, end):
            masked_at[k] = True
    needles.discard("")
    others = [(k, line[s:e]) for k, (s, e) in enumerate(spans) if not masked_at[k]]
    others = [(k, word) for k, word in others if not _steers(word)]
    # Looking for every secret in every token is quadratic on a line built to be (thousands of
    # secrets and words): past a budget, every word no rule reads is masked instead.
    everything = len(needles) * len(others) > _HUNT_BUDGET
    for k, word in others:
        if everything or word in words or word.strip(_PUNCT) in words or any(n in word for n in needles):
            kept.append((k, k + 1))
    kept.sort()
    out = []
    secrets = []
    pos = 0
    for start, end in kept:
        cs, ce = spans[start][0], spans[end - 1][1]
        out.append(line[pos:cs])
        out.append(MASK)
        secrets.append(line[cs:ce])
        pos = ce
    out.append(line[pos:])
    return "".join(out), secrets


def mask_lines(lines: List[str]) -> Tuple[Dict[int, str], List[str]]:
    """Mask many lines at once (the lines of a config: a line break inside one is slower, not wrong).

    Returns ``{index: masked line}`` for the lines that changed, and the secret
    strings removed. One search over the whole text finds the few lines a rule
    could apply to, instead of a search per line.
    """
    masked: Dict[int, str] = {}
    removed: List[str] = []
    low = "\n".join(lines).lower()
    if low.count("\n") != max(len(lines) - 1, 0):
        # A line holds a line break: no line number to count, one line at a time.
        for index, line in enumerate(lines):
            shown, found = mask_line(line)
            if found:
                masked[index] = shown
                removed.extend(found)
        return masked, removed
    # lower() keeps every line break, so counting them gives the line of a match.
    index = pos = 0
    search = _TRIGGER_RE.search
    while True:
        match = search(low, pos)
        if match is None:
            break
        index += low.count("\n", pos, match.start())
        shown, found = mask_line(lines[index])
        if found:
            masked[index] = shown
            removed.extend(found)
        end = low.find("\n", match.end())
        if end < 0:
            break
        pos = end + 1
        index += 1
    return masked, removed


def mask_secrets(line: str) -> str:
    """Return the config line with every secret replaced by ``<masked>``.

    Covers pre-shared keys (``crypto isakmp key``, ``pre-shared-key``, keyring
    and EzVPN ``key``), passwords and secrets (``username``, ``enable``, and
    anything after a ``password`` or ``secret`` keyword), ``ip nhrp
    authentication``, ``tunnel key``, SNMP communities and v3 user keys,
    ``key-string``, ``authentication-key``, ``md5`` keys, OSPFv3 IPsec keys
    and manual IPsec session keys, every copy on the line. The rest of the
    line is kept; a value that is already a mask (``<masked>``, ``*****``) is
    left alone. Errs on the side of masking too much.
    """
    if not isinstance(line, str):
        raise ParseError("a config line must be a string, not %s" % type(line).__name__)
    return mask_line(line)[0]


def mask_text(text: str) -> str:
    """Mask every line of a device text (several lines or one) with the ``mask_secrets`` rule."""
    if not isinstance(text, str):
        raise ParseError("device text must be a string, not %s" % type(text).__name__)
    if not _TRIGGER_RE.search(text.lower()):
        return text
    # Line ends are white space: they stay where they are, and no secret spans two lines.
    return "".join(mask_line(part)[0] for part in text.splitlines(True))


_SCRUB_MIN = 6
_KEYWORDISH_RE = re.compile(r"^[a-z][a-z0-9-]*$")


# Where a pasted copy is glued to other text (``S3cretK3y,S3cretK3y``, ``psk=S3cretK3y``).
_GLUE_RE = re.compile(r"[\s\"'.,;:()\[\]{}<>=/|]+")


def secret_words(values: Iterable[str]) -> Set[str]:
    """The secrets removed from a config, to look for elsewhere in it (``scrub``).

    A masked rest-of-line may include keywords (``inbound esp 256 cipher ...``):
    those must not become words to scrub everywhere else. The pieces of a
    secret between glue characters are looked for too (masking more, never less).
    """
    found: Set[str] = set()
    for value in values:
        found.add(value)
        for word in value.split():
            if not _KEYWORDISH_RE.match(word):
                found.add(word)
                found.update(piece for piece in _GLUE_RE.split(word)
                             if len(piece) >= _SCRUB_MIN and not _KEYWORDISH_RE.match(piece))
    return found


def _reused(part: str, secrets: Set[str]) -> bool:
    if len(part) < _SCRUB_MIN:
        return False
    if part in secrets or part.strip(_PUNCT) in secrets:
        return True
    # A copy glued to another (``S3cretK3y,S3cretK3y``): its pieces, a linear look whatever the secrets.
    return any(piece in secrets for piece in _GLUE_RE.split(part) if len(piece) >= _SCRUB_MIN)


def scrub(text: str, secrets: Set[str]) -> str:
    """Mask a secret of this config reused as plain text (a key pasted into a description).

    Word-level, so it stays linear whatever the number of secrets.
    """
    if not secrets or not text:
        return text
    for word in text.split():
        if _reused(word, secrets):
            break
    else:
        return text
    parts = re.split(r"(\s+)", text)
    changed = False
    for index, part in enumerate(parts):
        if _reused(part, secrets):
            parts[index] = MASK
            changed = True
    return "".join(parts) if changed else text
