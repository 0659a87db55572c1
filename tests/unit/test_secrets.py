"""secrets: one masking rule for config lines (mask_secrets) and for device text in reports (mask_text)."""

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis_profiles import examples

from ansible_collections.netops.ipsec_spi.plugins.module_utils import secrets
from ansible_collections.netops.ipsec_spi.plugins.module_utils.common import ParseError
from ansible_collections.netops.ipsec_spi.plugins.module_utils.secrets import (
    MASK,
    mask_line,
    mask_lines,
    mask_secrets,
    mask_text,
    scrub,
    secret_words,
)


# ---------------------------------------------------------------------------
# The rule, line by line
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "line,expected",
    [
        ("crypto isakmp key S3cr3t address 10.0.0.1", "crypto isakmp key <masked> address 10.0.0.1"),
        ("crypto isakmp key 6 S3cr3t address 10.0.0.1 255.255.255.255 no-xauth",
         "crypto isakmp key 6 <masked> address 10.0.0.1 255.255.255.255 no-xauth"),
        ("crypto isakmp key 6 address 10.0.0.1", "crypto isakmp key <masked> address 10.0.0.1"),
        ("crypto isakmp key S3cr3t hostname vpn.example", "crypto isakmp key <masked> hostname vpn.example"),
        ("crypto isakmp key S3cr3t address ipv6 2001:db8::1/128", "crypto isakmp key <masked> address ipv6 2001:db8::1/128"),
        ("  pre-shared-key local 6 S3cr3t", "  pre-shared-key local 6 <masked>"),
        ("  pre-shared-key remote S3cr3t", "  pre-shared-key remote <masked>"),
        ("  pre-shared-key S3cr3t", "  pre-shared-key <masked>"),
        ("  pre-shared-key address 10.0.0.1 key S3cr3t", "  pre-shared-key address 10.0.0.1 key <masked>"),
        ("  pre-shared-key hostname h.example key 6 S3cr3t", "  pre-shared-key hostname h.example key 6 <masked>"),
        ("username bob privilege 15 secret 9 $9$abc$def", "username bob privilege 15 secret 9 <masked>"),
        ("username bob password 0 two words", "username bob password 0 <masked>"),
        ("enable secret 5 $1$xyz", "enable secret 5 <masked>"),
        ("enable secret level 15 5 $1$xyz", "enable secret level 15 5 <masked>"),
        ("enable password 7", "enable password <masked>"),
        (" ip nhrp authentication N4rp", " ip nhrp authentication <masked>"),
        (" ipv6 nhrp authentication N4rp", " ipv6 nhrp authentication <masked>"),
        (" tunnel key 12345", " tunnel key <masked>"),
        ("snmp-server community Pub1ic RO 10", "snmp-server community <masked> RO 10"),
        ("snmp-server host 10.1.1.1 version 2c Trap5 udp-port 162", "snmp-server host 10.1.1.1 version 2c <masked> udp-port 162"),
        ("snmp-server host 10.1.1.1 Trap1", "snmp-server host 10.1.1.1 <masked>"),
        ("snmp-server user u g v3 auth sha AuthK priv aes 128 PrivK", "snmp-server user u g v3 auth sha <masked> priv aes 128 <masked>"),
        ("  key-string 7 KeyStr", "  key-string 7 <masked>"),
        (" ip ospf authentication-key 7 OspfK", " ip ospf authentication-key 7 <masked>"),
        (" ip ospf message-digest-key 1 md5 7 Md5K", " ip ospf message-digest-key <masked>"),
        (" ppp chap password 0 Chap", " ppp chap password 0 <masked>"),
        (" neighbor 10.0.0.2 password 7 Bgp", " neighbor 10.0.0.2 password 7 <masked>"),
        (" group BRANCH key GrpK", " group BRANCH key <masked>"),
        (" key GrpK", " key <masked>"),
        ("tacacs-server key 7 TacK", "tacacs-server key 7 <masked>"),
        (" standby 1 authentication text HsrpK", " standby 1 authentication text <masked>"),
        (" standby 1 authentication HsrpK", " standby 1 authentication <masked>"),
        (" authentication local pre-share key IkeK", " authentication local pre-share key <masked>"),
        (" set session-key inbound esp 256 cipher AB authenticator CD", " set session-key <masked>"),
        # Not secrets: kept as they are.
        (" authentication remote pre-share", " authentication remote pre-share"),
        ("key chain OSPF", "key chain OSPF"),
        ("crypto key generate rsa modulus 2048", "crypto key generate rsa modulus 2048"),
        (" set peer 10.0.0.1", " set peer 10.0.0.1"),
        (" keyring local KR", " keyring local KR"),
        ("service password-encryption", "service password-encryption"),
        ("", ""),
        ("   ", "   "),
    ],
)
def test_mask_secrets(line, expected):
    assert mask_secrets(line) == expected


def test_mask_secrets_is_idempotent_and_type_checked():
    once = mask_secrets("username a secret 9 X")
    assert mask_secrets(once) == once
    with pytest.raises(ParseError):
        mask_secrets(None)


@pytest.mark.parametrize(
    "line,expected",
    [
        # What the report's regex set caught and the token rules did not: now one rule.
        (" ipv6 ospf authentication ipsec spi 256 md5 0123456789ABCDEF", " ipv6 ospf authentication ipsec spi 256 <masked>"),
        (" ospfv3 encryption ipsec spi 1001 esp aes-cbc 128 KeyA sha1 KeyB", " ospfv3 encryption ipsec spi 1001 <masked>"),
        (" area 0 authentication ipsec spi 300 sha1 7 Sha1K", " area 0 authentication ipsec spi 300 <masked>"),
        ("ntp authentication-key 1 md5 NtpK 7", "ntp authentication-key <masked>"),
        (" ip rip authentication mode md5", " ip rip authentication mode md5"),
        (" standby 1 authentication md5 key-string 7 HsrpK", " standby 1 authentication md5 key-string 7 <masked>"),
        (" standby 1 authentication md5 key-chain HSRP", " standby 1 authentication md5 key-chain HSRP"),
        (" integrity md5 sha1", " integrity md5 sha1"),
        ("ip ftp-password FtpK", "ip ftp-password <masked>"),
        ("% rejected: crypto isakmp key 0 IsaK address 192.0.2.1", "% rejected: crypto isakmp key 0 <masked> address 192.0.2.1"),
        ("snmp-server community 7 EncC RO", "snmp-server community <masked> RO"),
        ("snmp-server community 12 RO", "snmp-server community <masked> RO"),
        ("snmp-server host 10.1.1.1 vrf MGMT informs version 2c InfC", "snmp-server host 10.1.1.1 vrf MGMT informs version 2c <masked>"),
        ("snmp-server host 10.1.1.1 version 3 priv v3user", "snmp-server host 10.1.1.1 version 3 priv v3user"),
        (" wpa-psk ascii 0 Wif1K", " wpa-psk ascii 0 <masked>"),
        ("crypto isakmp key address address 10.0.0.1", "crypto isakmp key <masked> address 10.0.0.1"),
        ("crypto key export rsa R pem terminal 3des Exp0rtP", "crypto key export rsa R pem terminal 3des <masked>"),
        ("crypto pki import TP pkcs12 flash:tp.p12 Imp0rtP", "crypto pki import TP pkcs12 flash:tp.p12 <masked>"),
        ("crypto key lock rsa name R passphrase L0ckP", "crypto key lock rsa name R passphrase <masked>"),
        ("crypto key Unkn0wnK", "crypto key <masked>"),
        # Not secrets, whatever the report's regex set did with them.
        ("crypto key generate rsa modulus 2048", "crypto key generate rsa modulus 2048"),
        ("crypto isakmp keepalive 10 3", "crypto isakmp keepalive 10 3"),
        ("crypto isakmp invalid-spi-recovery", "crypto isakmp invalid-spi-recovery"),
        (" tunnel protection ipsec profile P shared", " tunnel protection ipsec profile P shared"),
        ("key chain OSPF", "key chain OSPF"),
    ],
)
def test_rules_merged_from_the_report(line, expected):
    assert mask_secrets(line) == expected
    assert mask_text(line) == expected


@pytest.mark.parametrize(
    "line,expected",
    [
        # Each rule where its words run out or change its reading (pinned before _mask_ranges was split by rule).
        ("crypto key export rsa R", "crypto key export rsa R"),
        ("crypto pki export TP pem", "crypto pki export TP pem"),
        ("crypto pki export TP pem terminal P4ss", "crypto pki export TP pem terminal <masked>"),
        ("crypto isakmp key", "crypto isakmp key"),
        ("crypto isakmp key 6", "crypto isakmp key <masked>"),
        (" vrrp 1 authentication VrK", " vrrp 1 authentication <masked>"),
        (" glbp 1 authentication text GlK", " glbp 1 authentication text <masked>"),
        (" glbp 1 authentication md5 key-string 7 GlK", " glbp 1 authentication md5 key-string 7 <masked>"),
        (" standby 1 authentication", " standby 1 authentication"),
        (" authentication VrK", " authentication VrK"),
        (" ip ospf authentication", " ip ospf authentication"),
        (" encryption aes", " encryption aes"),
        (" ospfv3 encryption ipsec spi 1001", " ospfv3 encryption ipsec spi 1001"),
        ("pre-shared-key key-chain KC", "pre-shared-key key-chain KC"),
        ("pre-shared-key local key-chain KC", "pre-shared-key local key-chain KC"),
        (" ip ospf auth sha AuK", " ip ospf auth sha AuK"),
        (" snmp-server user u g v3 auth md5 AuK priv 3des PrK", " snmp-server user u g v3 auth md5 <masked> priv 3des <masked>"),
        ("snmp-server user u g v3 priv aes 256 PrK", "snmp-server user u g v3 priv aes 256 <masked>"),
        ("snmp-server host 10.0.0.1 version 3 auth v3u", "snmp-server host 10.0.0.1 version 3 auth v3u"),
        ("snmp-server host community X", "snmp-server host community <masked>"),
        ("snmp-server community", "snmp-server community"),
        ("snmp-server community 7 password X", "snmp-server community <masked> password <masked>"),
        ("ntp md5", "ntp md5"),
        (" md5 key-chain X", " md5 key-chain X"),
        ("a,md5 7 Md5K", "a,md5 7 <masked>"),
        ("x-password 7 PwK", "x-password 7 <masked>"),
        ("password level 15 P", "password level 15 <masked>"),
        ("secret level", "secret <masked>"),
        ("key chain", "key chain"),
    ],
)
def test_each_rule_at_its_edges(line, expected):
    assert mask_secrets(line) == expected
    assert mask_text(line) == expected


def test_every_word_a_rule_starts_at_has_its_rule():
    # A word the scan stops at without a rule would be a KeyError on a device's line, not a masked secret.
    assert set(secrets._RULES) == secrets._RULE_WORDS  # pylint: disable=protected-access


@pytest.mark.parametrize(
    "text",
    [
        "<masked>",
        "*****",
        "<removed>",
        "[masked]",
        "$MASKED$",
    ],
)
def test_a_mask_is_left_alone_and_is_not_a_secret(text):
    for template in ("pre-shared-key local {}", "crypto isakmp key 6 {} address 10.0.0.1", "snmp-server community {} RO",
                     "username u password 7 {}", " key {}"):
        line = template.format(text)
        assert mask_secrets(line) == line
        assert mask_text(line) == line
        assert mask_line(line) == (line, [])


def test_a_mask_of_several_words_is_left_alone():
    for line in ("pre-shared-key local <secret hidden>", " key 7 <secret hidden>", "enable secret <secret hidden>"):
        assert mask_secrets(line) == line


def test_what_the_report_relies_on():
    # tests/unit/test_report.py asserts these through the report; here on the rule itself.
    assert mask_text("crypto isakmp keepalive 10 3") == "crypto isakmp keepalive 10 3"
    assert mask_text(" pre-shared-key address 10.0.0.1 key s3cr3t") == " pre-shared-key address 10.0.0.1 key <masked>"
    assert mask_text("crypto isakmp key 0 Sup3rS3cr3t! address 192.0.2.10") == "crypto isakmp key 0 <masked> address 192.0.2.10"
    for line in (" pre-shared-key local Zx9psk", " username admin password 7 0822455D0A16",
                 "snmp-server community c0mmun1ty RO", " ip nhrp authentication nhrpKey1", "  key-string KeyString42"):
        assert mask_text(line).endswith(MASK) or "c0mmun1ty" not in mask_text(line)
        assert mask_text(line) == mask_secrets(line)


def test_mask_text_masks_each_line_and_keeps_line_ends():
    text = "hostname r1\n password P4ss\r\n  key GrpK\x85snmp-server community PubC RO\u2028end"
    assert mask_text(text) == "hostname r1\n password <masked>\r\n  key <masked>\x85snmp-server community <masked> RO\u2028end"
    # A keyword at the end of one line does not mask the next line.
    assert mask_text(" password\nhostname r1") == " password\nhostname r1"
    assert mask_text("") == ""
    with pytest.raises(ParseError):
        mask_text(None)


# ---------------------------------------------------------------------------
# Masking does not depend on where the secret is on the line (issue 17, item 8)
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "line,secret",
    [
        ("snmp-server community Pub1ic RO 10 community Pub1ic RW", "Pub1ic"),
        ("snmp-server community Pub1ic RO community Priv4te RW", "Priv4te"),
        ("description Gr0upK3y pre-shared-key Gr0upK3y", "Gr0upK3y"),
    ],
)
def test_every_copy_of_a_secret_on_a_line_is_masked(line, secret):
    assert secret not in mask_secrets(line)
    assert secret not in mask_text(line)


@pytest.mark.parametrize(
    "line,secret",
    [
        # issue 21 item 7: a copy inside a longer token
        ("snmp-server community S3cret RO S3cret,S3cret", "S3cret"),
        ("crypto isakmp key S3cret address 10.0.0.1 (S3cret)S3cret", "S3cret"),
        ("ip ospf md5 S3cret x key=S3cret;", "S3cret"),
        ("snmp-server host 10.0.0.1 S3cret S3cretS3cret", "S3cret"),
        ("username admin secret S3cret", "S3cret"),
    ],
)
def test_a_secret_repeated_inside_one_token_is_masked(line, secret):
    assert secret not in mask_secrets(line)
    assert secret not in mask_text(line + "\n" + line)
    # the words that name the peer stay readable
    if "address" in line:
        assert "address 10.0.0.1" in mask_secrets(line)


def test_a_line_built_to_make_the_copy_hunt_quadratic_is_masked_whole(monkeypatch):
    line = " ".join("community C%dzz foo%d" % (n, n) for n in range(30))
    # under the budget: each community string, and the words after them kept
    assert mask_secrets(line).split()[:3] == ["community", MASK, "foo0"]
    monkeypatch.setattr(secrets, "_HUNT_BUDGET", 100)
    masked = mask_secrets(line)
    # past it: every word no rule reads, never a secret left, and masking twice changes nothing
    assert set(masked.split()) == {"community", MASK}
    assert mask_secrets(masked) == masked


def test_second_commands_on_a_line_are_masked_like_the_first():
    line = ("crypto isakmp key K1aaaa address 10.0.0.1 crypto isakmp key K2bbbb hostname h.example "
            "snmp-server user u g v3 auth sha AuthK1 priv aes 128 PrivK1 auth md5 AuthK2")
    masked = mask_secrets(line)
    for secret in ("K1aaaa", "K2bbbb", "AuthK1", "PrivK1", "AuthK2"):
        assert secret not in masked
    assert "address 10.0.0.1" in masked and "hostname h.example" in masked


def test_a_secret_ending_in_a_keyword_is_masked_and_read_as_the_keyword():
    # Found by the fuzz below: the community was taken for the keyword it ends with.
    assert mask_secrets("snmp-server community Zq=password RO 5") == "snmp-server community <masked> <masked>"
    assert mask_secrets("snmp-server host 10.1.1.1 version 2c Zq.md5 A1b2c3") == "snmp-server host 10.1.1.1 version 2c <masked> <masked>"
    assert mask_secrets("ip ftp-password FtpK") == "ip ftp-password <masked>"
    assert mask_secrets("snmp-server community 7 Zq=password Zq2") == "snmp-server community <masked> <masked>"


def test_short_numbers_in_a_masked_range_are_not_hunted_elsewhere():
    assert mask_secrets(" ip ospf message-digest-key 1 md5 7 Md5K area 1") == " ip ospf message-digest-key <masked>"
    assert mask_secrets("line 1 vty key 7 K3yK3y") == "line 1 vty key 7 <masked>"


# ---------------------------------------------------------------------------
# scrub: a config's secret reused elsewhere in it
# ---------------------------------------------------------------------------


def test_secret_words_and_scrub():
    masked, removed = mask_line(" set session-key inbound esp 256 cipher AB12CD34EF authenticator 0011223344")
    assert masked == " set session-key <masked>"
    words = secret_words(removed)
    assert {"AB12CD34EF", "0011223344"} <= words
    assert "inbound" not in words and "cipher" not in words
    assert scrub("description key AB12CD34EF, reused", words) == "description key <masked> reused"
    assert scrub("short AB12 stays", {"AB12"}) == "short AB12 stays"
    # a copy glued to another, or to a label (issue 21 item 7)
    assert scrub("description psk=AB12CD34EF,AB12CD34EF here", words) == "description <masked> here"
    assert scrub("x (0011223344)/0011223344 y", words) == "x <masked> y"
    glued = secret_words(["Lab$ecret=K3yK3y"])
    assert scrub("copy Lab$ecret=K3yK3y,Lab$ecret=K3yK3y K3yK3", glued) == "copy <masked> K3yK3"
    assert scrub("", words) == ""


# ---------------------------------------------------------------------------
# Fuzz (bounded, so the unit suite stays fast)
# ---------------------------------------------------------------------------

SECRET_TEMPLATES = [
    "crypto isakmp key {s} address 10.0.0.{n}",
    "crypto isakmp key 6 {s} hostname h{n}.example",
    "username u{n} privilege 15 secret 9 {s}",
    "enable secret level 15 5 {s}",
    "snmp-server community {s} RO {n}",
    "snmp-server host 10.1.1.{n} version 2c {s} udp-port 162",
    "snmp-server user u{n} g v3 auth sha {s} priv aes 256 {s}",
    "pre-shared-key address 10.0.0.{n} key {s}",
    "pre-shared-key local 6 {s}",
    "ip nhrp authentication {s}",
    "tunnel key {s}",
    "ip ospf message-digest-key {n} md5 7 {s}",
    "ipv6 ospf authentication ipsec spi 25{n} md5 {s}",
    "standby {n} authentication text {s}",
    "key-string 7 {s}",
    "community {s}",
    "md5 {s}",
]
# Filler words that are no keyword of any rule.
FILLER = ["ip", "address", "10.0.0.1", "description", "RO", "RW", "peer", "set", "map", "!", "255.255.255.0",
          "hostname", "vrf", "x-y", "a.b", "7", "128", "version", "host", "<masked>"]
secret_st = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789$./!@#%^&*-_=+~", min_size=1, max_size=16).map(
    lambda s: "ZQ" + s)


@settings(max_examples=examples(2000), deadline=None, database=None, derandomize=True)
@given(secret=secret_st, seed=st.integers(min_value=0, max_value=2 ** 32 - 1))
def test_fuzz_every_templated_secret_is_masked_wherever_it_sits(secret, seed):
    rnd = random.Random(seed)
    parts = []
    for dummy in range(rnd.randint(1, 4)):
        parts += [rnd.choice(FILLER) for dummy in range(rnd.randint(0, 3))]
        parts.append(rnd.choice(SECRET_TEMPLATES).format(s=secret, n=rnd.randint(1, 9)))
    parts += [rnd.choice(FILLER) for dummy in range(rnd.randint(0, 3))]
    line = rnd.choice(["", " ", "\t", "no "]) + " ".join(parts)
    masked = mask_secrets(line)
    assert "ZQ" not in masked, (line, masked)
    assert mask_secrets(masked) == masked
    assert mask_text(line + "\n" + line) == masked + "\n" + masked


@settings(max_examples=examples(1000), deadline=None, database=None, derandomize=True)
@given(secret=secret_st, seed=st.integers(min_value=0, max_value=2 ** 32 - 1))
def test_fuzz_a_secret_repeated_inside_one_token_is_masked(secret, seed):
    """A copy of the secret glued to itself, to punctuation or to other text, anywhere on the line."""
    rnd = random.Random(seed)
    glue = rnd.choice([",", ";", "", "=", "(", ")", "/", ":", "'", "x"])
    copy = rnd.choice([secret + glue + secret, glue + secret, secret + glue, "k=" + secret + glue + "end"])
    parts = [rnd.choice(FILLER) for dummy in range(rnd.randint(0, 3))]
    parts.append(rnd.choice(SECRET_TEMPLATES).format(s=secret, n=rnd.randint(1, 9)))
    parts.insert(rnd.randint(0, len(parts)), copy)
    parts += [rnd.choice(FILLER) for dummy in range(rnd.randint(0, 3))]
    line = " ".join(parts)
    masked = mask_secrets(line)
    assert "ZQ" not in masked, (line, masked)
    assert mask_secrets(masked) == masked
    assert mask_text(line) == masked


@settings(max_examples=examples(3000), deadline=None, database=None, derandomize=True)
@given(text=st.text(max_size=300))
def test_fuzz_any_text_masks_to_text_and_stays_masked(text):
    once = mask_text(text)
    assert isinstance(once, str)
    assert mask_text(once) == once
    assert once == "".join(mask_secrets(part) for part in text.splitlines(True))
    # Only whole words are replaced: the white space between them is untouched.
    assert once.split(MASK)[0] == text[:len(once.split(MASK)[0])]


# Every keyword the rules read, and words around them: lines no real device prints, to shake the rules.
SOUP = ["key", "password", "secret", "community", "md5", "pre-shared-key", "crypto", "isakmp", "address", "hostname",
        "local", "remote", "7", "0", "12", "nhrp", "authentication", "key-string", "authentication-key", "chain",
        "config-key", "snmp-server", "host", "x-password", "a.secret", "<masked>", "*****", "sha1", "text", "ip",
        "generate", "export", "standby", "version", "2c", "3", "auth", "priv", "sha", "aes", "128", "ipsec", "spi",
        "level", "pki", "encryption", "passphrase", "wpa-psk", "ascii", "RO", "vrf", "informs"]


@settings(max_examples=examples(2000), deadline=None, database=None, derandomize=True)
@given(words=st.lists(st.one_of(st.sampled_from(SOUP), st.sampled_from(["ZQa", "ZQb1", "ZQc.2"])), max_size=10))
def test_fuzz_keyword_soup_masks_once_and_for_all(words):
    line = " ".join(words)
    masked = mask_secrets(line)
    # Masking a masked line changes nothing: no rule reads the masked line differently.
    assert mask_secrets(masked) == masked
    assert mask_text(masked) == masked
    # A word right after a rest-of-line keyword never survives.
    for index, word in enumerate(words[:-1]):
        if word in ("secret", "key-string", "authentication-key", "wpa-psk") and words[index + 1].startswith("ZQ"):
            assert words[index + 1] not in masked.split(), masked


@settings(max_examples=examples(500), deadline=None, database=None, derandomize=True)
@given(lines=st.lists(st.one_of(st.sampled_from([" ".join(SOUP[i:i + 3]) for i in range(len(SOUP))] + ["", "x", "key"]),
                                st.text(max_size=30)), max_size=12))
def test_mask_lines_is_mask_line_on_each(lines):
    masked, removed = mask_lines(lines)
    expected = {}
    expected_removed = []
    for index, line in enumerate(lines):
        shown, found = mask_line(line)
        if found:
            expected[index] = shown
            expected_removed += found
    assert masked == expected
    assert removed == expected_removed
