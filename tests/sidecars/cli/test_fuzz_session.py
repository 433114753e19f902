"""Random command lines, made of the console's own words and arbitrary ones, never break a session: every
answer is a reply line then a prompt (or the end of the session), whatever context the lines lead into."""

from __future__ import annotations

import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sidecars.cli.commands import COMMANDS
from sidecars.net.errorcontrol import ErrorLimits
from tests.sidecars.cli.conftest import Client, MakeClient

VOCABULARY = sorted({word for phrase in COMMANDS for word in phrase}) + [
    "name", "password", "newName", "to", "id", "all", "rights", "maxAccounts", "serverWide", "displayName",
    "example.test", "other.test", "alice", "bob@example.test", "quota.messages", "services.pop3", "5M",
    "yes", "no", "none", "1", '"a b"', "enabled", "class", "postmasterPassword", "x@y", '"', "\\", "@",
]  # fmt: skip
ANSWER = re.compile(r"(\+OK: [^\r\n]*|-ERR: [^\r\n]*)\r\n(<[a-z#-]*> )?$|^<[a-z#-]*> $")

words = st.one_of(
    st.sampled_from(VOCABULARY), st.text(min_size=1, max_size=8).filter(lambda t: "\n" not in t)
)
lines = st.lists(words, min_size=0, max_size=7).map(" ".join)


#: one logged-in session per test run, reused across examples (a login costs an argon2 check); a new one
#: only when a random QUIT ended it. Where the last example left it (any context) is part of the input.
_sessions: dict[int, Client] = {}


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(lines, min_size=1, max_size=12))
def test_random_lines_always_get_an_answer(make_client: MakeClient, script: list[str]) -> None:
    client = _sessions.get(id(make_client))
    if client is None or client.session.closed:
        client = make_client(errors=ErrorLimits(max_errors=0, max_auth_failures=0), max_commands=0)
        assert client.login().endswith("<#> ")
        _sessions[id(make_client)] = client
    for line in script:
        reply = client.send(line.encode("utf-8", "surrogatepass") + b"\r\n")
        if client.last.close or client.last.start_tls:
            client.session.closed = True
            return
        assert ANSWER.search(reply), (line, reply)
