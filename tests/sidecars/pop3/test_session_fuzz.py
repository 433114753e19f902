"""Random input never breaks a session: whatever lines arrive, every one is answered, starting with a
``+OK``/``-ERR``/``+ `` status line and ending with CRLF, and the session either goes on or closes after
saying why (no exception escapes to the connection)."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sidecars.net.errorcontrol import ErrorLimits
from tests.sidecars.pop3.conftest import MakeClient

WORDS = [
    "USER",
    "PASS",
    "APOP",
    "AUTH",
    "STAT",
    "LIST",
    "RETR",
    "DELE",
    "NOOP",
    "RSET",
    "QUIT",
    "TOP",
    "UIDL",
    "CAPA",
    "STLS",
    "XYZ",
]
ARGS = [
    "",
    " 1",
    " 2",
    " 0",
    " 99",
    " -1",
    " x",
    " 1 0",
    " 1 2",
    " PLAIN",
    " LOGIN",
    " =",
    " *",
    " \u00e9",
    " 1 1 1",
]

lines = st.lists(
    st.one_of(
        st.builds(lambda w, a: (w + a).encode(), st.sampled_from(WORDS), st.sampled_from(ARGS)),
        st.binary(max_size=40),
    ),
    max_size=12,
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(batch=lines, logged_in=st.booleans())
def test_any_input_gets_status_lines(make_client: MakeClient, batch: list[bytes], logged_in: bool) -> None:
    session = make_client(errors=ErrorLimits(max_errors=0, max_auth_failures=0))
    if logged_in:
        assert session.login().startswith("+OK")
    for raw in batch:
        answer = session.send(raw + b"\r\n")
        while session.last.more:
            answer += session.more()
        assert answer.startswith(("+OK", "-ERR", "+ ")) and answer.endswith("\r\n"), (raw, answer)
        if session.last.close:
            break
