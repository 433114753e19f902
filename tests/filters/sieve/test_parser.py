"""Lexer, parser and validator: what compiles, and each error class with its line and column."""

from __future__ import annotations

import pytest

from filters import SieveError
from filters.sieve import compile_script
from filters.sieve.ast import Command, StringList, Tag
from filters.sieve.lexer import NUMBER, STRING, tokenize
from filters.sieve.parser import parse

RFC5228_SECTION_9 = """#
# Example Sieve Filter
# Declare any optional features or extension used by the script
#
require ["fileinto"];

#
# Handle messages from known mailing lists
# Move messages from IETF filter discussion list to filter mailbox
#
if header :is "Sender" "owner-ietf-mta-filters@imc.org"
        {
        fileinto "filter";  # move to "filter" mailbox
        }
#
# Keep all messages to or from people in my company
#
elsif address :DOMAIN :is ["From", "To"] "example.com"
        {
        keep;               # keep in "In" mailbox
        }

#
# Try and catch unsolicited email.  If a message is not to me,
# or it contains a subject known to be spam, file it away.
#
elsif anyof (NOT address :all :contains
               ["To", "Cc", "Bcc"] "me@example.com",
             header :matches "subject"
               ["*make*money*fast*", "*university*dipl*mas*"])
        {
        fileinto "spam";   # move to "spam" mailbox
        }
else
        {
        # Move all other (non-company) mail to "personal"
        # mailbox.
        fileinto "personal";
        }
"""


def test_rfc5228_section_9_example_compiles() -> None:
    script = compile_script(RFC5228_SECTION_9)
    assert [c.name for c in script.commands] == ["require", "if", "elsif", "elsif", "else"]
    assert script.extensions == frozenset({"fileinto"})
    assert script.commands[2].tests[0].tags == {"domain": True, "is": True}


def test_numbers_with_quantifiers() -> None:
    tokens = tokenize("size :over 1K 2M 3G 10")
    assert [t.value for t in tokens if t.kind == NUMBER] == [1024, 2 * 2**20, 3 * 2**30, 10]


def test_quoted_string_escapes() -> None:
    (token,) = [t for t in tokenize(r'"a\"b\\c\d"') if t.kind == STRING]
    assert token.value == 'a"b\\cd'


def test_multiline_string_with_dot_stuffing_and_comment() -> None:
    text = "reject text: # why\r\nline one\r\n..dotted\r\n.\r\n;"
    (token,) = [t for t in tokenize(text) if t.kind == STRING]
    assert token.value == "line one\r\n.dotted\r\n"


def test_comments_are_skipped_and_positions_kept() -> None:
    commands = parse("/* a\n comment */ # hash\n  keep;\n")
    assert commands == (Command("keep", (), (), None, 3, 3),)


def test_string_list_and_tags_in_ast() -> None:
    (command,) = parse('fileinto :copy ["a", "b"];')
    assert command.arguments == (Tag("copy", 1, 10), StringList(("a", "b"), True, 1, 16))


def test_case_insensitive_identifiers_and_tags() -> None:
    script = compile_script('REQUIRE "fileinto"; IF HEADER :CONTAINS "subject" "x" { FILEINTO "y"; }')
    assert script.commands[1].tests[0].tags == {"contains": True}


def test_empty_script_compiles() -> None:
    assert compile_script("").commands == ()
    assert compile_script("# only a comment\n").commands == ()


ERRORS = [
    # syntax: the lexer
    ('keep;\n"unterminated', "syntax", 2, 1),
    ("keep;\n  /* never closed", "syntax", 2, 3),
    ("keep; @", "syntax", 1, 7),
    ("size :over 99999999999G;", "syntax", 1, 12),
    ("reject text: \nno end\n", "syntax", 1, 8),
    ("keep : ;", "syntax", 1, 6),
    ("size :over 10X;", "syntax", 1, 14),
    # parse: the grammar
    ("keep", "parse", 1, 5),
    ("keep\nkeep;", "semantic", 2, 1),  # "keep" parses as keep's test
    ("keep 1 2\n", "parse", 2, 1),
    ("if true { keep; ", "parse", 1, 17),
    ('require ["a", ];', "parse", 1, 15),
    ('require ["a" "b"];', "parse", 1, 14),
    ("if anyof (true, ) { }", "parse", 1, 17),
    ("if anyof (true { }", "parse", 1, 16),
    ("}", "parse", 1, 1),
    ("keep; ;", "parse", 1, 7),
    # semantic: unknown names, misplaced control commands
    ("frobnicate;", "semantic", 1, 1),
    ("keep;\n  elsif true { }", "semantic", 2, 3),
    ("else { }", "semantic", 1, 1),
    ("if true { } keep; else { }", "semantic", 1, 19),
    ('keep;\nrequire "fileinto";', "semantic", 2, 1),
    ('if true { require "fileinto"; }', "semantic", 1, 11),
    ("if frobnicate { }", "semantic", 1, 4),
    ("if keep { }", "semantic", 1, 4),
    ("true;", "semantic", 1, 1),
    # validation: require, arguments, limits
    ('fileinto "x";', "validation", 1, 1),
    ('require "fileinto";\nfileinto :copy "x";', "validation", 2, 10),
    ('require "nosuchthing";', "validation", 1, 9),
    ('if header :regex "a" "b" { }', "validation", 1, 11),
    ('if header :value "gt" "a" "b" { }', "validation", 1, 11),
    ('if address :user "to" "b" { }', "validation", 1, 12),
    ('if header :comparator "i;ascii-numeric" "a" "1" { }', "validation", 1, 4),
    ('if header :comparator "i;nonsense" "a" "1" { }', "validation", 1, 4),
    ('require "relational";\nif header :value "xx" "a" "1" { }', "validation", 2, 4),
    ('if header :is :contains "a" "b" { }', "validation", 1, 15),
    ('if header :is :is "a" "b" { }', "validation", 1, 15),
    ('if header "a" { }', "validation", 1, 4),
    ('if header "a" "b" "c" { }', "validation", 1, 4),
    ("if size 100 { }", "validation", 1, 4),
    ('if size :over "100" { }', "validation", 1, 15),
    ('require "reject";\nreject ["a", "b"];', "validation", 2, 8),
    ("keep { }", "validation", 1, 1),
    ("if true;", "validation", 1, 1),
    ("if { }", "validation", 1, 1),
    ("if anyof true { }", "validation", 1, 4),
    ('stop "now";', "validation", 1, 1),
    ("if not (true, false) { }", "validation", 1, 4),
    ('if header "a" :is "b" { }', "validation", 1, 15),
    ('require "variables";\nset "1bad" "x";', "validation", 2, 1),
    ('require "date";\nif currentdate "fortnight" "1" { }', "validation", 2, 4),
    ('require "spamtest";\nif spamtest :percent "5" { }', "validation", 2, 13),
    ('require "fileinto";\nfileinto :create "x";', "validation", 2, 10),
    ('keep :flags "\\\\Seen";', "validation", 1, 6),
    ('if header :comparator "a" { }', "validation", 1, 4),
    ('require "vacation";\nvacation :days "7" "gone";', "validation", 2, 16),
    ('require "fileinto";\nfileinto "a" :copy;', "validation", 2, 14),
]


@pytest.mark.parametrize(("script", "kind", "line", "column"), ERRORS)
def test_error_classes_with_position(script: str, kind: str, line: int, column: int) -> None:
    with pytest.raises(SieveError) as caught:
        compile_script(script)
    assert (caught.value.kind, caught.value.line, caught.value.column) == (kind, line, column), caught.value


def test_extension_not_allowed_by_caller() -> None:
    with pytest.raises(SieveError) as caught:
        compile_script('require "vacation";', extensions=frozenset({"fileinto"}))
    assert caught.value.kind == "validation"


def test_comparator_with_require() -> None:
    compile_script(
        'require "comparator-i;ascii-numeric";\nif header :comparator "i;ascii-numeric" "a" "1" { }'
    )


def test_spamtestplus_implies_spamtest() -> None:
    compile_script('require "spamtestplus";\nif spamtest :percent :is "5" { } if spamtest "1" { }')


def test_optional_variable_in_flag_commands() -> None:
    script = compile_script(
        'require ["imap4flags", "variables"]; setflag "v" "\\\\Seen"; addflag "\\\\Flagged";'
    )
    assert script.commands[1].positional == ("v", ("\\Seen",))
    assert script.commands[2].positional == (None, ("\\Flagged",))


@pytest.mark.parametrize(
    ("script", "line"),
    [
        ("if true {" * 33 + "}" * 33, 1),
        ("if " + "not " * 40 + "true { }", 1),
        ("if " + "anyof(" * 40 + "true" + ")" * 40 + " { }", 1),
        ("keep;\n" * 10_001, 10_001),
        ("require [" + ", ".join(['"x"'] * 1025) + "];", 1),
    ],
    ids=["blocks", "not", "anyof", "commands", "list"],
)
def test_limits_are_validation_errors(script: str, line: int) -> None:
    with pytest.raises(SieveError) as caught:
        compile_script(script)
    assert caught.value.kind == "validation"
    assert caught.value.line == line


def test_nesting_at_the_limit_compiles() -> None:
    compile_script("if true {" * 32 + "}" * 32)
    compile_script("keep;\n" * 10_000)


def test_script_over_one_mebibyte_refused() -> None:
    with pytest.raises(SieveError) as caught:
        compile_script("#" * (1 << 20) + "\nkeep;")
    assert (caught.value.kind, caught.value.line, caught.value.column) == ("validation", 1, 1)


def test_sieve_error_fields_and_pickle() -> None:
    import pickle

    error = SieveError("parse", 3, 4, "expected ';'")
    assert str(error) == "parse error at line 3, column 4: expected ';'"
    assert pickle.loads(pickle.dumps(error)) == error
    with pytest.raises(ValueError):
        SieveError("bogus", 1, 1)
