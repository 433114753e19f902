"""WebMail's rules and out-of-office as a Sieve script: what the engine makes of the generated script on
real messages, the checks a form entry goes through, and reading the script back (edit detection)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from filters.sieve import FileInto, Keep, Redirect, Vacation, compile_script, evaluate
from filters.sieve.actions import Discard
from filters.user_rules import Condition, OutOfOffice, Rule, RuleError, UserRules
from filters.user_rules.model import check, from_json, to_json
from filters.user_rules.render import Context, read, render
from tests.filters.sieve.conftest import make_message

CTX = Context("bob@example.com", ("example.com", "example.net"), ("robert@example.com",), "Europe/Paris")


def run(data: UserRules, **message: object):  # type: ignore[no-untyped-def]
    script = render(check(data), CTX)
    return evaluate(compile_script(script), make_message(**message))  # type: ignore[arg-type]


def rule(action: str, target: str = "", *conditions: Condition, **kw: object) -> Rule:
    conds = conditions or (Condition("from", "contains", "alice"),)
    return Rule("r", conds, action, target, **kw)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("action", "target", "expected", "keep"),
    [
        ("move", "Friends", (FileInto("Friends"),), False),
        ("copy", "Friends", (FileInto("Friends", copy=True),), True),
        ("forward", "me@far.test", (Redirect("me@far.test", copy=True),), True),
        ("redirect", "me@far.test", (Redirect("me@far.test"),), False),
        ("delete", "", (Discard(),), False),
    ],
)
def test_each_action_does_what_its_name_says(action, target, expected, keep):
    outcome = run(UserRules((rule(action, target),)))
    assert outcome.actions == expected and outcome.implicit_keep is keep


def test_flag_marks_the_kept_copy_and_the_filed_one():
    outcome = run(UserRules((rule("flag"),)))
    assert outcome.implicit_keep and outcome.keep_flags == ("\\Flagged",)
    (filed,) = run(UserRules((rule("move", "Friends", flag=True),))).actions
    assert isinstance(filed, FileInto) and filed.flags == ("\\Flagged",)


def test_conditions_from_to_subject_and_match_any_or_all():
    to_boss = Condition("to", "is", "Bob@Example.com")
    lunch = Condition("subject", "contains", "LUNCH")
    not_lunch = Condition("subject", "not_contains", "lunch")
    assert run(UserRules((Rule("a", (to_boss, lunch), "delete"),))).actions == (Discard(),)
    assert run(UserRules((Rule("a", (to_boss, not_lunch), "delete"),))).implicit_keep
    assert run(UserRules((Rule("a", (to_boss, not_lunch), "delete", match_all=False),))).actions == (
        Discard(),
    )


def test_order_stop_and_disabled_rules():
    first = rule("copy", "A", stop=True)
    second = rule("move", "B")
    assert run(UserRules((first, second))).actions == (FileInto("A", copy=True),)
    off = Rule("off", first.conditions, "delete", enabled=False)
    assert run(UserRules((off, second))).actions == (FileInto("B"),)


def test_values_with_quotes_and_backslashes_are_matched_literally():
    tricky = 'x" ; discard ; "\\'
    data = UserRules((Rule("t", (Condition("subject", "contains", tricky),), "move", "Odd"),))
    hit = run(data, headers=[("Subject", f"about {tricky} here"), ("To", "bob@example.com")])
    assert hit.actions == (FileInto("Odd"),)
    assert run(data).implicit_keep


def ooo(**kw: object) -> OutOfOffice:
    base: dict[str, object] = {
        "enabled": True,
        "subject": "Away",
        "internal_text": "Back Monday, call my mobile.",
        "external_text": "I am away until Monday.",
    }
    return OutOfOffice(**{**base, **kw})  # type: ignore[arg-type]


def reply(outcome) -> Vacation | None:  # type: ignore[no-untyped-def]
    found = [a for a in outcome.actions if isinstance(a, Vacation)]
    return found[0] if found else None


def test_internal_and_external_senders_get_their_own_text():
    data = UserRules(out_of_office=ooo())
    internal = reply(run(data, envelope_from="carol@example.net"))
    external = reply(run(data, envelope_from="alice@example.org"))
    assert internal is not None and internal.reason == "Back Monday, call my mobile."
    assert (
        external is not None and external.reason == "I am away until Monday." and external.subject == "Away"
    )
    only_inside = UserRules(out_of_office=ooo(external_text=""))
    assert reply(run(only_inside, envelope_from="alice@example.org")) is None
    assert reply(run(only_inside, envelope_from="carol@example.com")) is not None


def test_disabled_out_of_office_answers_nobody_but_is_kept_for_the_form():
    data = check(UserRules(out_of_office=ooo(enabled=False)))
    assert reply(run(data)) is None
    assert read(render(data, CTX)).data == data


def test_mail_to_an_alias_is_answered():
    data = UserRules(out_of_office=ooo())
    headers = [("From", "alice@example.org"), ("To", "robert@example.com"), ("Subject", "hi")]
    assert reply(run(data, headers=headers, envelope_to="robert@example.com")) is not None


@pytest.mark.parametrize(
    ("now", "answered"),
    [
        (datetime(2026, 12, 19, 22, 59, tzinfo=UTC), False),  # 23:59 on the 19th in Paris
        (datetime(2026, 12, 19, 23, 0, tzinfo=UTC), True),  # midnight on the 20th in Paris
        (datetime(2027, 3, 30, 21, 59, tzinfo=UTC), True),  # 23:59 on the 30th, summer time (+0200)
        (datetime(2027, 3, 30, 22, 0, tzinfo=UTC), False),  # the 31st in Paris
    ],
)
def test_date_range_is_in_the_users_time_zone_at_both_ends(now, answered):
    data = UserRules(out_of_office=ooo(start=date(2026, 12, 20), end=date(2027, 3, 30)))
    assert (reply(run(data, now=now)) is not None) is answered


def test_vacation_comes_before_a_rule_that_deletes():
    data = UserRules((rule("delete"),), ooo())
    outcome = run(data)
    assert reply(outcome) is not None and Discard() in outcome.actions


@pytest.mark.parametrize(
    ("entry", "field"),
    [
        (Rule("x", (), "delete"), "conditions"),
        (Rule("x", (Condition("body", "contains", "a"),), "delete"), "conditions"),
        (Rule("x", (Condition("from", "contains", "  "),), "delete"), "conditions"),
        (Rule("x", (Condition("from", "contains", "a\nb"),), "delete"), "conditions"),
        (Rule("x", (Condition("from", "contains", "a"),), "move", ""), "target"),
        (Rule("x", (Condition("from", "contains", "a"),), "forward", "not an address"), "target"),
        (Rule("x", (Condition("from", "contains", "a"),), "explode"), "action"),
        (Rule("x", (Condition("from", "contains", "a" * 1001),), "delete"), "conditions"),
    ],
)
def test_bad_rules_name_the_field_at_fault(entry, field):
    with pytest.raises(RuleError) as caught:
        check(UserRules((entry,)))
    assert caught.value.field == field


@pytest.mark.parametrize(
    ("entry", "field"),
    [
        (ooo(internal_text="", external_text=" "), "external_text"),
        (ooo(start=date(2027, 1, 2), end=date(2027, 1, 1)), "end"),
        (ooo(subject="two\nlines"), "subject"),
        (ooo(days=46), "days"),
    ],
)
def test_bad_out_of_office_entries_name_the_field_at_fault(entry, field):
    with pytest.raises(RuleError) as caught:
        check(UserRules(out_of_office=entry))
    assert caught.value.field == field


def test_json_round_trip_keeps_everything():
    data = check(
        UserRules(
            (rule("move", "Ünïcode/Sub", flag=True, stop=True), rule("forward", "a@b.test", enabled=False)),
            ooo(start=date(2027, 1, 1), internal_text="line one\nline two \u2028 ✓"),
        )
    )
    line = to_json(data)
    assert line.isascii() and "\n" not in line
    assert from_json(line) == data


def test_an_untouched_script_reads_back_unedited_and_any_change_is_seen():
    data = check(UserRules((rule("move", "Friends"),), ooo()))
    script = render(data, CTX)
    assert read(script).edited is False and read(script).data == data
    changed = script.replace('fileinto "Friends"', 'fileinto "Elsewhere"')
    assert read(changed).edited is True and read(changed).data == data
    assert read('require "fileinto"; fileinto "Mine";').edited is True
    assert read('require "fileinto"; fileinto "Mine";').data == UserRules()


def test_empty_data_makes_a_script_that_only_keeps_implicitly():
    """No explicit keep: it would override an earlier level's decision ("last destination wins")."""
    outcome = run(UserRules())
    assert outcome.actions == () and outcome.implicit_keep
    assert outcome.deliveries() == (Keep(),)
