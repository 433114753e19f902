"""Scripts x messages -> actions: RFC 5228, every extension, the interaction rules, runtime errors."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from filters.actions import Discard, Reject
from filters.sieve import Ereject, FileInto, Keep, Redirect, Vacation, compile_script, evaluate
from tests.filters.sieve.conftest import make_message, run
from tests.filters.sieve.test_parser import RFC5228_SECTION_9

LIST_MAIL = make_message(
    [("Sender", "owner-ietf-mta-filters@imc.org"), ("From", "x@imc.org"), ("To", "me@example.com")]
)
COMPANY_MAIL = make_message([("From", "boss@example.com"), ("To", "me@example.com"), ("Subject", "hi")])
SPAM_MAIL = make_message(
    [("From", "a@spam.test"), ("To", "me@example.com.au"), ("Subject", "make lots of money fast")]
)
NOT_TO_ME = make_message([("From", "a@other.test"), ("To", "someone@else.test"), ("Subject", "hi")])
PERSONAL = make_message([("From", "mum@family.test"), ("To", "me@example.com.au"), ("Subject", "hi")])


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        (LIST_MAIL, (FileInto("filter"),)),
        (COMPANY_MAIL, (Keep(),)),
        (SPAM_MAIL, (FileInto("spam"),)),
        (NOT_TO_ME, (FileInto("spam"),)),
        (PERSONAL, (FileInto("personal"),)),
    ],
    ids=["list", "company", "spam-subject", "not-to-me", "personal"],
)
def test_rfc5228_section_9_example(message: object, expected: tuple[object, ...]) -> None:
    outcome = evaluate(compile_script(RFC5228_SECTION_9), message)  # type: ignore[arg-type]
    assert outcome.actions == expected
    assert not outcome.implicit_keep


# (script, message kwargs, expected actions, implicit keep)
TABLE: list[tuple[str, str, dict[str, object], tuple[object, ...], bool]] = [
    ("empty-script", "", {}, (), True),
    ("keep", "keep;", {}, (Keep(),), False),
    ("discard", "discard;", {}, (Discard(),), False),
    ("discard-then-keep", "discard; keep;", {}, (Keep(),), False),
    ("stop-keeps-implicit", "stop; discard;", {}, (), True),
    ("redirect", 'redirect "carol@example.net";', {}, (Redirect("carol@example.net"),), False),
    ("redirect-dup", 'redirect "c@x.test"; redirect "C@x.test";', {}, (Redirect("c@x.test"),), False),
    (
        "redirect-copy",
        'require "copy"; redirect :copy "c@x.test";',
        {},
        (Redirect("c@x.test", copy=True),),
        True,
    ),
    ("fileinto", 'require "fileinto"; fileinto "Work";', {}, (FileInto("Work"),), False),
    (
        "fileinto-dup",
        'require "fileinto"; fileinto "A"; fileinto "A"; fileinto "B";',
        {},
        (FileInto("A"), FileInto("B")),
        False,
    ),
    (
        "fileinto-copy",
        'require ["fileinto", "copy"]; fileinto :copy "A";',
        {},
        (FileInto("A", copy=True),),
        True,
    ),
    (
        "fileinto-create",
        'require ["fileinto", "mailbox"]; fileinto :create "New";',
        {},
        (FileInto("New", create=True),),
        False,
    ),
    ("keep-dup", "keep; keep;", {}, (Keep(),), False),
    ("reject", 'require "reject"; reject "go away";', {}, (Reject("go away"),), False),
    ("ereject", 'require "ereject"; ereject "no";', {}, (Ereject("no"),), False),
    ("reject-discard", 'require "reject"; discard; reject "no";', {}, (Reject("no"),), False),
    ("size-over", "if size :over 10 { discard; }", {}, (Discard(),), False),
    ("size-under", "if size :under 1M { discard; }", {}, (Discard(),), False),
    ("size-not-over", "if size :over 100K { discard; }", {}, (), True),
    ("exists", 'if exists ["From", "Subject"] { discard; }', {}, (Discard(),), False),
    ("exists-missing", 'if exists ["From", "X-Nope"] { discard; }', {}, (), True),
    ("header-contains", 'if header :contains "subject" "LUNCH" { discard; }', {}, (Discard(),), False),
    (
        "header-octet",
        'if header :comparator "i;octet" :contains "subject" "LUNCH" { discard; }',
        {},
        (),
        True,
    ),
    ("address-localpart", 'if address :localpart "from" "alice" { discard; }', {}, (Discard(),), False),
    ("address-domain", 'if address :domain :is "to" "EXAMPLE.com" { discard; }', {}, (Discard(),), False),
    (
        "envelope",
        'require "envelope"; if envelope :is "from" "alice@example.org" { discard; }',
        {},
        (Discard(),),
        False,
    ),
    (
        "envelope-null",
        'require "envelope"; if envelope :is "from" "" { discard; }',
        {"envelope_from": ""},
        (Discard(),),
        False,
    ),
    ("not-allof-anyof", "if not allof (true, anyof (false, false)) { discard; }", {}, (Discard(),), False),
    ("elsif-else", "if false { keep; } elsif false { keep; } else { discard; }", {}, (Discard(),), False),
    ("if-resets-chain", "if true { } if false { keep; } else { discard; }", {}, (Discard(),), False),
    # subaddress (RFC 5233)
    (
        "subaddress-detail",
        'require ["envelope", "subaddress", "fileinto"];\n'
        'if envelope :detail "to" "lists" { fileinto "lists"; }',
        {"envelope_to": "bob+lists@example.com"},
        (FileInto("lists"),),
        False,
    ),
    (
        "subaddress-user",
        'require ["envelope", "subaddress"]; if envelope :user "to" "bob" { discard; }',
        {"envelope_to": "bob+x@example.com"},
        (Discard(),),
        False,
    ),
    (
        "subaddress-no-detail",
        'require ["envelope", "subaddress"]; if envelope :detail "to" "" { discard; }',
        {"envelope_to": "bob@example.com"},
        (),
        True,
    ),
    # relational (RFC 5231)
    (
        "count",
        'require ["relational", "comparator-i;ascii-numeric"];\n'
        'if address :count "ge" :comparator "i;ascii-numeric" ["to", "cc"] "1" { discard; }',
        {},
        (Discard(),),
        False,
    ),
    (
        "count-fails",
        'require ["relational", "comparator-i;ascii-numeric"];\n'
        'if header :count "gt" :comparator "i;ascii-numeric" "received" "0" { discard; }',
        {},
        (),
        True,
    ),
    (
        "value",
        'require "relational"; if header :value "gt" "subject" "Kiwi" { discard; }',
        {},
        (Discard(),),
        False,
    ),
    # spamtest / virustest (RFC 5235)
    (
        "spamtest",
        'require ["spamtest", "relational", "comparator-i;ascii-numeric", "fileinto"];\n'
        'if spamtest :value "ge" :comparator "i;ascii-numeric" "6" { fileinto "Junk"; }',
        {"spam_score": 8},
        (FileInto("Junk"),),
        False,
    ),
    (
        "spamtest-low",
        'require ["spamtest", "relational", "comparator-i;ascii-numeric"];\n'
        'if spamtest :value "ge" :comparator "i;ascii-numeric" "6" { discard; }',
        {"spam_score": 2},
        (),
        True,
    ),
    ("spamtest-untested", 'require "spamtest"; if spamtest :is "0" { discard; }', {}, (Discard(),), False),
    (
        "spamtestplus",
        'require ["spamtestplus", "relational", "comparator-i;ascii-numeric"];\n'
        'if spamtest :percent :value "eq" :comparator "i;ascii-numeric" "100" { discard; }',
        {"spam_score": 10},
        (Discard(),),
        False,
    ),
    (
        "spamtestplus-untested",
        'require ["spamtestplus"]; if spamtest :percent :matches "*" { discard; }',
        {},
        (),
        True,
    ),
    (
        "virustest",
        'require ["virustest", "relational", "comparator-i;ascii-numeric"];\n'
        'if virustest :value "eq" :comparator "i;ascii-numeric" "5" { discard; }',
        {"virus_score": 5},
        (Discard(),),
        False,
    ),
    ("virustest-untested", 'require "virustest"; if virustest :is "0" { discard; }', {}, (Discard(),), False),
    # body (RFC 5173)
    ("body-text", 'require "body"; if body :contains "noon" { discard; }', {}, (Discard(),), False),
    ("body-raw", 'require "body"; if body :raw :contains "noon?\r\n" { discard; }', {}, (Discard(),), False),
    (
        "body-content-text",
        'require "body"; if body :content "text" :contains "noon" { discard; }',
        {},
        (Discard(),),
        False,
    ),
    (
        "body-content-image",
        'require "body"; if body :content "image/png" :contains "noon" { discard; }',
        {},
        (),
        True,
    ),
    # date (RFC 5260)
    ("date-year", 'require "date"; if date :is "date" "year" "2025" { discard; }', {}, (Discard(),), False),
    (
        "currentdate",
        'require "date"; if currentdate :is "date" "2025-04-01" { discard; }',
        {},
        (Discard(),),
        False,
    ),
    ("date-bad-header", 'require "date"; if date :is "subject" "year" "2025" { discard; }', {}, (), True),
    # mailbox (RFC 5490) -- no callback: false
    ("mailboxexists-none", 'require "mailbox"; if mailboxexists "Work" { discard; }', {}, (), True),
]


@pytest.mark.parametrize(
    ("script", "message", "expected", "implicit_keep"),
    [row[1:] for row in TABLE],
    ids=[row[0] for row in TABLE],
)
def test_table(
    script: str, message: dict[str, object], expected: tuple[object, ...], implicit_keep: bool
) -> None:
    outcome = run(script, make_message(**message))  # type: ignore[arg-type]
    assert outcome.errors == ()
    assert outcome.actions == expected
    assert outcome.implicit_keep is implicit_keep


def test_mailboxexists_with_callback() -> None:
    script = 'require ["mailbox", "fileinto"]; if mailboxexists ["Work", "Lists"] { fileinto "Work"; }'
    assert run(script, mailbox_exists=lambda name: True).actions == (FileInto("Work"),)
    assert run(script, mailbox_exists=lambda name: name == "Work").actions == ()


# -- imap4flags (RFC 5232)


def test_imap4flags_internal_variable_and_keep() -> None:
    script = r"""require ["imap4flags", "fileinto"];
    setflag "\\Seen";
    addflag ["\\Flagged", "\\seen", "$Work"];
    removeflag "$Work";
    fileinto "A";
    keep :flags "\\Answered";
    """
    outcome = run(script)
    assert outcome.actions == (FileInto("A", flags=("\\Seen", "\\Flagged")), Keep(flags=("\\Answered",)))


def test_imap4flags_implicit_keep_takes_flags() -> None:
    outcome = run(r'require "imap4flags"; addflag "\\Seen \\Deleted"; if hasflag :contains "Del" { }')
    assert outcome.implicit_keep and outcome.keep_flags == ("\\Seen", "\\Deleted")
    assert outcome.deliveries() == (Keep(flags=("\\Seen", "\\Deleted")),)


def test_rfc5232_example_with_variable() -> None:
    script = r"""require ["imap4flags", "variables", "fileinto"];
    if header :contains "from" "alice" {
        setflag "flagvar" "\\Flagged";
        addflag "flagvar" "\\Answered";
        fileinto :flags "${flagvar}" "INBOX.From Alice";
    }
    if hasflag "flagvar" "\\answered" { discard; }
    """
    outcome = run(script)
    assert outcome.actions == (FileInto("INBOX.From Alice", flags=("\\Flagged", "\\Answered")),)


# -- variables (RFC 5229)


def test_variables_and_match_variables() -> None:
    script = """require ["variables", "fileinto"];
    if header :matches "subject" "* tomorrow" { set "topic" "${1}"; }
    set :upper "loud" "${topic}";
    set :length "len" "${topic}";
    if string :is "${loud}-${len}" "LUNCH-5" { fileinto "topic/${topic}"; }
    """
    assert run(script).actions == (FileInto("topic/Lunch"),)


def test_variables_from_caller() -> None:
    outcome = run('require ["variables", "fileinto"]; fileinto "${Folder}";', variables={"folder": "Given"})
    assert outcome.actions == (FileInto("Given"),)


def test_string_count_ignores_empty() -> None:
    script = 'require ["variables", "relational"]; if string :count "eq" ["a", "", "b"] "2" { discard; }'
    assert run(script).actions == (Discard(),)


def test_without_variables_no_expansion() -> None:
    assert run('require "fileinto"; fileinto "${x}";').actions == (FileInto("${x}"),)


# -- vacation (RFC 5230)

VACATION = 'require "vacation"; vacation :days 3 :subject "Away" :addresses ["bob@home.test"] "I am away.";'


def test_vacation_answers() -> None:
    (action,) = run(VACATION).actions
    assert isinstance(action, Vacation)
    assert (action.reason, action.subject, action.days, action.to) == (
        "I am away.",
        "Away",
        3,
        "alice@example.org",
    )
    assert action.addresses == ("bob@home.test",)
    assert action.handle and action.in_reply_to == "<m1@example.org>"
    assert run(VACATION).implicit_keep


def test_vacation_rfc5230_example_defaults() -> None:
    script = """require "vacation";
    if header :contains "subject" "cyrus" {
        vacation "I'm out -- send mail to cyrus-bugs";
    } else {
        vacation "I'm out -- call me at +1 304 555 0123";
    }"""
    (action,) = run(script).actions
    assert isinstance(action, Vacation)
    assert action.days == 7 and action.subject == "Auto: Lunch tomorrow" and not action.mime
    assert action.reason == "I'm out -- call me at +1 304 555 0123"


@pytest.mark.parametrize(("days", "expected"), [(0, 1), (1, 1), (45, 45), (100, 45)])
def test_vacation_days_clamped(days: int, expected: int) -> None:
    (action,) = run(f'require "vacation"; vacation :days {days} "x";').actions
    assert isinstance(action, Vacation) and action.days == expected


def test_vacation_handle_stable_and_explicit() -> None:
    a = run('require "vacation"; vacation "x";').actions[0]
    b = run('require "vacation"; vacation "x";').actions[0]
    c = run('require "vacation"; vacation :handle "h1" :mime :from "me@x.test" "x";').actions[0]
    assert isinstance(a, Vacation) and isinstance(b, Vacation) and isinstance(c, Vacation)
    assert a.handle == b.handle and c.handle == "h1" and c.mime and c.from_ == "me@x.test"


@pytest.mark.parametrize(
    "message",
    [
        make_message(envelope_from=""),
        make_message(envelope_from="MAILER-DAEMON@example.org"),
        make_message(envelope_from="owner-list@example.org"),
        make_message(envelope_from="list-request@example.org"),
        make_message([*make_message().headers, ("List-Id", "<l.example.org>")]),
        make_message([*make_message().headers, ("Precedence", "bulk")]),
        make_message([*make_message().headers, ("Precedence", "junk")]),
        make_message([*make_message().headers, ("Auto-Submitted", "auto-replied")]),
        make_message([("From", "a@example.org"), ("To", "other@example.net")]),
        make_message(envelope_from="bob@example.com"),
    ],
    ids=["null", "daemon", "owner", "request", "list-id", "bulk", "junk", "auto", "not-to-me", "self"],
)
def test_vacation_not_sent(message: object) -> None:
    outcome = run(VACATION, message)  # type: ignore[arg-type]
    assert outcome.actions == () and outcome.implicit_keep and outcome.errors == ()


def test_vacation_via_addresses_in_cc_and_auto_submitted_no() -> None:
    message = make_message(
        [("From", "a@example.org"), ("Cc", "Bob <bob@home.test>"), ("Auto-Submitted", "no"), ("Subject", "s")]
    )
    assert isinstance(run(VACATION, message).actions[0], Vacation)


# -- run-time errors: implicit keep, nothing else, error reported with position


@pytest.mark.parametrize(
    ("script", "line", "column"),
    [
        ('require ["reject", "fileinto"];\nfileinto "A";\nreject "no";', 3, 1),
        ('require "reject";\nreject "no";\n  keep;', 3, 3),
        ('require "reject";\nredirect "a@b.test";\nreject "no";', 3, 1),
        ('require ["reject", "vacation"];\nvacation "x";\nreject "no";', 3, 1),
        ('require ["reject", "ereject"];\nreject "a";\nereject "b";', 3, 1),
        ('require "vacation";\nvacation "x";\nvacation "y";', 3, 1),
        ('require "regex";\nkeep;\nif header :regex "subject" "(" { }', 3, 4),
        ('redirect "not an address";', 1, 1),
        ('require "fileinto";\nfileinto "";', 2, 1),
    ],
    ids=[
        "reject-fileinto",
        "reject-keep",
        "reject-redirect",
        "reject-vacation",
        "two-rejects",
        "two-vacations",
        "bad-regex",
        "bad-redirect",
        "empty-folder",
    ],
)
def test_runtime_errors_fall_back_to_implicit_keep(script: str, line: int, column: int) -> None:
    outcome = run(script)
    assert outcome.actions == () and outcome.implicit_keep
    (error,) = outcome.errors
    assert (error.kind, error.line, error.column) == ("runtime", line, column)


def test_regex_match_variables() -> None:
    script = (
        'require ["regex", "variables", "fileinto"];\n'
        'if header :regex "from" "^([a-z]+)@" { fileinto "from-${1}"; }'
    )
    assert run(script, make_message([("From", "alice@example.org")])).actions == (FileInto("from-alice"),)


def test_evaluate_is_pure_and_repeatable() -> None:
    script = compile_script('require "fileinto"; fileinto "A"; stop; keep;')
    message = make_message(now=datetime(2020, 1, 1, tzinfo=UTC))
    assert evaluate(script, message) == evaluate(script, message)
