# -*- coding: utf-8 -*-
# Copyright: netops.ipsec_spi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Secrets never leave the core: the one home of masking.

``mask_secrets`` removes pre-shared keys, passwords and other secrets from a
config line (token rules, no regex backtracking); ``_scrub`` masks a secret of
a config reused as plain text elsewhere in it; ``mask_text`` is the second
lock on the door for any device text that reaches a report.
"""

from __future__ import annotations

import re
from typing import List, Set, Tuple

from ansible_collections.netops.ipsec_spi.plugins.module_utils.common import ParseError

MASK = "<masked>"


_TOKEN_RE = re.compile(r"\S+")
# IOS password "types": 0 clear, 4/5/8/9 hashes, 6 AES, 7 Vigenere.
_TYPE_DIGITS = frozenset(("0", "4", "5", "6", "7", "8", "9"))
# Keywords after which the rest of the line is secret (after an optional type digit).
_REST_KEYWORDS = frozenset(
    (
        "password",
        "secret",
        "key-string",
        "authentication-key",
        "message-digest-key",
        "area-password",
        "domain-password",
        "session-key",
        "wpa-psk",
    )
)
_SNMP_PRIV_ALGS = frozenset(("des", "3des", "aes"))
_SNMP_AUTH_ALGS = frozenset(("md5", "sha", "sha256", "sha384", "sha512"))


def _type_skip(low: List[str], i: int, end: int) -> int:
    """Skip an encryption-type digit when a secret token still follows it."""
    if i < end - 1 and low[i] in _TYPE_DIGITS:
        return i + 1
    return i


def _mask_ranges(low: List[str]) -> List[Tuple[int, int]]:
    """Token index ranges [start, end) that hold secrets."""
    n = len(low)
    ranges: List[Tuple[int, int]] = []
    first = 1 if n and low[0] == "no" else 0
    head = low[first:first + 3]

    if head == ["crypto", "isakmp", "key"]:
        # crypto isakmp key [type] KEY address|hostname X ...: keep what names the peer.
        start = first + 3
        end = n
        for j in range(n - 2, start, -1):
            if low[j] in ("address", "hostname"):
                end = j
                break
        start = _type_skip(low, start, end)
        if start < end:
            ranges.append((start, end))
        return ranges

    if head[:2] == ["snmp-server", "community"]:
        if first + 2 < n:
            ranges.append((first + 2, first + 3))
        return ranges

    if head[:2] == ["snmp-server", "host"]:
        i = first + 3
        version = None
        while i < n:
            if low[i] == "vrf":
                i += 2
            elif low[i] in ("informs", "traps"):
                i += 1
            elif low[i] == "version" and i + 1 < n:
                version = low[i + 1]
                i += 2
                if version == "3" and i < n and low[i] in ("auth", "noauth", "priv"):
                    i += 1
            else:
                break
        if i < n and version != "3":
            ranges.append((i, i + 1))
        return ranges

    i = first
    while i < n:
        tok = low[i]
        if tok in _REST_KEYWORDS:
            j = i + 1
            if tok in ("password", "secret") and j + 1 < n and low[j] == "level":
                j += 2
            if tok == "wpa-psk" and j < n and low[j] in ("ascii", "hex"):
                j += 1
            j = _type_skip(low, j, n)
            if j < n:
                ranges.append((j, n))
            return ranges
        if tok == "key":
            prev = low[i - 1] if i > 0 else ""
            nxt = low[i + 1] if i + 1 < n else ""
            if prev != "crypto" and nxt != "chain":
                j = _type_skip(low, i + 1, n)
                if j < n:
                    ranges.append((j, n))
                return ranges
        elif tok == "pre-shared-key":
            j = i + 1
            if j < n and low[j] in ("local", "remote"):
                j += 1
            # IKEv1 keyring form: pre-shared-key address X key K; the "key" keyword follows.
            if not (j < n and low[j] in ("address", "hostname", "key-chain")):
                j = _type_skip(low, j, n)
                if j < n:
                    ranges.append((j, n))
                return ranges
        elif tok == "authentication":
            prev = low[i - 1] if i > 0 else ""
            nxt = low[i + 1] if i + 1 < n else ""
            if prev == "nhrp":
                if i + 1 < n:
                    ranges.append((i + 1, n))
                return ranges
            if nxt == "text":
                j = _type_skip(low, i + 2, n)
                if j < n:
                    ranges.append((j, n))
                return ranges
            if low[first] in ("standby", "vrrp") and nxt not in ("md5", "") and i + 1 < n:
                ranges.append((i + 1, n))
                return ranges
        elif tok == "auth" and i + 2 < n and low[i + 1] in _SNMP_AUTH_ALGS and low[first] == "snmp-server":
            ranges.append((i + 2, i + 3))
            i += 3
            continue
        elif tok == "priv" and i + 2 < n and low[i + 1] in _SNMP_PRIV_ALGS and low[first] == "snmp-server":
            j = i + 2
            if j + 1 < n and low[j] in ("128", "192", "256"):
                j += 1
            ranges.append((j, j + 1))
            i = j + 1
            continue
        i += 1
    return ranges


# Every masking rule needs one of these words; most config lines have none.
_TRIGGER_RE = re.compile("password|secret|key|authentication|snmp-server|wpa-psk")


def _mask(line: str) -> Tuple[str, List[str]]:
    """Mask one line; return it with the secret strings that were removed."""
    if not _TRIGGER_RE.search(line.lower()):
        return line, []
    spans = [(m.start(), m.end()) for m in _TOKEN_RE.finditer(line)]
    if not spans:
        return line, []
    low = [line[s:e].lower() for s, e in spans]
    ranges = _mask_ranges(low)
    if not ranges:
        return line, []
    out = []
    secrets = []
    pos = 0
    for start, end in ranges:
        cs, ce = spans[start][0], spans[end - 1][1]
        out.append(line[pos:cs])
        out.append(MASK)
        secrets.append(line[cs:ce])
        pos = ce
    out.append(line[pos:])
    return "".join(out), secrets


def mask_secrets(line: str) -> str:
    """Return the config line with every secret replaced by ``<masked>``.

    Covers pre-shared keys (``crypto isakmp key``, ``pre-shared-key``, keyring
    and EzVPN ``key``), passwords and secrets (``username``, ``enable``, and
    anything after a ``password`` or ``secret`` keyword), ``ip nhrp
    authentication``, ``tunnel key``, SNMP communities and v3 user keys,
    ``key-string``, ``authentication-key`` and manual IPsec session keys. The
    rest of the line is kept. Errs on the side of masking too much.
    """
    if not isinstance(line, str):
        raise ParseError("a config line must be a string, not %s" % type(line).__name__)
    return _mask(line)[0]


_SCRUB_MIN = 6
_KEYWORDISH_RE = re.compile(r"^[a-z][a-z0-9-]*$")
_PUNCT = "\"'.,;:()[]{}<>"


def _scrub(text: str, secrets: Set[str]) -> str:
    """Mask a secret of this config reused as plain text (a key pasted into a description).

    Word-level, so it stays linear whatever the number of secrets.
    """
    if not secrets or not text:
        return text
    for word in text.split():
        if len(word) >= _SCRUB_MIN and (word in secrets or word.strip(_PUNCT) in secrets):
            break
    else:
        return text
    parts = re.split(r"(\s+)", text)
    changed = False
    for index, part in enumerate(parts):
        if len(part) >= _SCRUB_MIN and (part in secrets or part.strip(_PUNCT) in secrets):
            parts[index] = MASK
            changed = True
    return "".join(parts) if changed else text


# Secrets are masked by the check role already; this is the second lock on the
# door for the fields that carry device text. A token that is already masked
# (asterisks, <masked>, <removed>) is left alone.
_SECRET_RES = (
    re.compile(r"(?i)(\bpre-shared-key\s+(?:local|remote)\s+(?:\d\s+)?)(\S+)"),
    re.compile(r"(?i)(\bpre-shared-key\s+(?:address\s+\S+(?:\s+\S+)?\s+|hostname\s+\S+\s+)?key\s+(?:\d\s+)?)(\S+)"),
    re.compile(r"(?i)(\bcrypto\s+isakmp\s+key\s+(?:\d\s+)?)(\S+)"),
    re.compile(r"(?i)(\b(?:key-string|authentication-key|community|password|secret)\s+(?:\d{1,2}\s+)?)(\S+)"),
    re.compile(r"(?i)(\bmd5\s+(?:\d\s+)?)(\S+)"),
    re.compile(r"(?i)(\bnhrp\s+authentication\s+)(\S+)"),
    re.compile(r"(?i)((?:^|\s)key\s+(?:\d\s+)?)(?!address\b|string\b|chain\b|config-key\b)(\S+)"),
)
_MASKED_TOKEN_RE = re.compile(r"^(?:\*+|<[a-z_ -]*>|\[?masked\]?|\$MASKED\$?|x{4,}|#+)$", re.IGNORECASE)
_SECRET_HINT_RE = re.compile(r"(?i)key|password|secret|community|md5|authentication")


def _mask_match(match: "re.Match[str]") -> str:
    token = match.group(2)
    if _MASKED_TOKEN_RE.match(token):
        return match.group(0)
    return match.group(1) + "<masked>"


def mask_text(text: str) -> str:
    """Mask key, password and secret arguments in one line of device text."""
    if not _SECRET_HINT_RE.search(text):
        return text
    for regex in _SECRET_RES:
        text = regex.sub(_mask_match, text)
    return text
