"""Allow/deny rules: parsing and the priority policy, as a table."""

from __future__ import annotations

import pytest

from sidecars.net.rules import Limits, RuleError, decide, format_rule, parse_rule, parse_rules

ALLOW = "allow"
DENY = "deny"

# (allow rules, deny rules, client address, allowed?, rule that decided or None)
POLICY_TABLE = [
    # no rule matches: accepted under the listener's defaults
    ([], [], "192.0.2.7", True, None),
    (["10.0.0.0/8@5"], ["172.16.0.0/12@5"], "192.0.2.7", True, None),
    # only a deny rule matches: refused
    ([], ["192.0.2.0/24@50"], "192.0.2.7", False, "192.0.2.0/24@50"),
    (["10.0.0.0/8@1"], ["192.0.2.7"], "192.0.2.7", False, "192.0.2.7@100"),
    # only an allow rule matches: allowed under it
    (["192.0.2.0/24@50;per_ip=3"], [], "192.0.2.7", True, "192.0.2.0/24@50;per_ip=3"),
    # both match: the stronger (lower number) wins
    (["192.0.2.7@10"], ["192.0.2.0/24@20"], "192.0.2.7", True, "192.0.2.7@10"),
    (["192.0.2.0/24@20"], ["192.0.2.7@10"], "192.0.2.7", False, "192.0.2.7@10"),
    # both match at the same priority: allowed
    (["192.0.2.0/24@10"], ["192.0.2.7@10"], "192.0.2.7", True, "192.0.2.0/24@10"),
    # the strongest rule of each kind is the one compared
    (["192.0.2.0/24@30", "192.0.2.7@5"], ["192.0.2.0/25@10"], "192.0.2.7", True, "192.0.2.7@5"),
    (["192.0.2.0/24@30"], ["192.0.2.0/25@40", "0.0.0.0/0@1"], "192.0.2.7", False, "0.0.0.0/0@1"),
    # ranges and network/mask
    (["192.0.2.10-192.0.2.20@1"], ["0.0.0.0/0@2"], "192.0.2.15", True, "192.0.2.10-192.0.2.20@1"),
    (["192.0.2.10-192.0.2.20@1"], ["0.0.0.0/0@2"], "192.0.2.21", False, "0.0.0.0/0@2"),
    ([], ["10.0.0.0/255.255.0.0@3"], "10.0.200.1", False, "10.0.0.0/255.255.0.0@3"),
    ([], ["10.0.0.0/255.255.0.0@3"], "10.1.0.1", True, None),
    # IPv6, and IPv4 rules never match IPv6 clients (nor the other way round)
    (["2001:db8::/32@5"], ["::/0@9"], "2001:db8::25", True, "2001:db8::/32@5"),
    (["2001:db8::/32@5"], ["::/0@9"], "2001:db9::1", False, "::/0@9"),
    (["2001:db8::1-2001:db8::ff@1"], [], "2001:db8::80", True, "2001:db8::1-2001:db8::ff@1"),
    ([], ["0.0.0.0/0@1"], "::1", True, None),
    ([], ["::/0@1"], "127.0.0.1", True, None),
    # an IPv4 client seen on a dual-stack socket counts as its IPv4 address
    ([], ["192.0.2.0/24@1"], "::ffff:192.0.2.7", False, "192.0.2.0/24@1"),
]


@pytest.mark.parametrize(("allow", "deny", "ip", "allowed", "decided_by"), POLICY_TABLE)
def test_policy_table(
    allow: list[str], deny: list[str], ip: str, allowed: bool, decided_by: str | None
) -> None:
    decision = decide([parse_rule(t) for t in allow], [parse_rule(t) for t in deny], ip)
    assert decision.allowed is allowed
    assert (decision.rule.text if decision.rule else None) == decided_by


def test_equal_priority_ties_within_one_kind_go_to_the_first_listed() -> None:
    first, second = parse_rule("192.0.2.0/24@7;per_ip=2"), parse_rule("192.0.2.7@7;per_ip=9")
    assert decide([first, second], [], "192.0.2.7").rule is first


def test_limits_of_the_deciding_allow_rule() -> None:
    rule = parse_rule("10.0.0.0/8@5;max=100;per_ip=10;new=50;new_per_ip=5;interval=30")
    assert rule.limits == Limits(100, 10, 50, 5, 30)
    assert decide([rule], [], "10.1.2.3").limits == rule.limits
    assert decide([parse_rule("10.0.0.0/8")], [], "10.1.2.3").limits is None  # no limits of its own
    assert decide([], [parse_rule("10.0.0.0/8")], "10.1.2.3").limits is None


@pytest.mark.parametrize(
    "text",
    [
        "192.0.2.7@100",
        "10.0.0.0/8@5;max=100;per_ip=10",
        "2001:db8::/32@0",
        "192.0.2.1-192.0.2.9@3;interval=10",
    ],
)
def test_format_round_trips(text: str) -> None:
    assert format_rule(parse_rule(text)) == text
    assert parse_rule(format_rule(parse_rule(text))) == parse_rule(text)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "not-an-address",
        "192.0.2.300",
        "192.0.2.9-192.0.2.1",
        "192.0.2.1-2001:db8::1",
        "10.0.0.0/33",
        "10.0.0.0/8@high",
        "10.0.0.0/8@-1",
        "10.0.0.0/8;speed=3",
        "10.0.0.0/8;max=lots",
        "10.0.0.0/8;interval=0",
    ],
)
def test_bad_rules_are_refused_with_a_message(text: str) -> None:
    with pytest.raises(RuleError):
        parse_rule(text)


def test_parse_rules_keeps_the_good_ones() -> None:
    rules, errors = parse_rules(["10.0.0.0/8@1", "nonsense", "::1"])
    assert [r.text for r in rules] == ["10.0.0.0/8@1", "::1@100"]
    assert len(errors) == 1 and "nonsense" in errors[0]
