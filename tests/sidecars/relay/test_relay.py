"""The outbound SMTP client against an SMTP sink on 127.0.0.2, found through the test DNS."""

from __future__ import annotations

import pytest

from filters.dns import Resolver
from sidecars.relay import DELIVERED, PERMANENT, TEMPORARY, OutboundEnvelope, Relay, parse_route
from tests.support.smtpsink import SmtpSink

RAW = b"From: alice@example.test\r\nTo: bob@far.test\r\nSubject: hi\r\n\r\nhello\r\n.leading dot\r\n"


def make_relay(dns_server, sink, **kw) -> Relay:
    return Relay(Resolver([dns_server.address]), helo="mail.example.test", port=sink.port, timeout=5, **kw)


def envelope(*rcpts: str, **kw) -> OutboundEnvelope:
    return OutboundEnvelope("alice@example.test", tuple(rcpts), **kw)


def test_delivers_through_the_mx(dns_server, sink):
    relay = make_relay(dns_server, sink)
    result = relay.send("far.test", envelope("bob@far.test", "carol@far.test"), RAW)
    relay.close()
    assert {r.outcome for r in result.results.values()} == {DELIVERED}
    assert result.results["bob@far.test"].host == "mx.far.test"
    (env,) = sink.envelopes
    assert env.mail_from == "alice@example.test"
    assert env.recipients == ["bob@far.test", "carol@far.test"]
    assert env.data == RAW  # dot-stuffing undone by the sink
    assert env.helo == "mail.example.test"
    assert f"SIZE={len(RAW)}" in env.mail_params


def test_domain_without_mx_uses_its_address(dns_server, sink):
    relay = make_relay(dns_server, sink)
    result = relay.send("implicit.test", envelope("x@implicit.test"), RAW)
    assert result.results["x@implicit.test"].outcome == DELIVERED
    assert sink.envelopes[0].recipients == ["x@implicit.test"]


def test_dead_preferred_mx_falls_back_to_the_next(dns_server, sink):
    result = make_relay(dns_server, sink).send("fallback.test", envelope("x@fallback.test"), RAW)
    assert result.results["x@fallback.test"].outcome == DELIVERED
    assert result.results["x@fallback.test"].host == "mx.far.test"


def test_dead_domain_is_temporary_and_unavailable(dns_server, sink):
    result = make_relay(dns_server, sink).send("dead.test", envelope("x@dead.test"), RAW)
    r = result.results["x@dead.test"]
    assert r.outcome == TEMPORARY and r.code == 451 and "mx.dead.test" in r.reply
    assert result.unavailable


def test_unknown_domain_and_null_mx_are_permanent(dns_server, sink):
    relay = make_relay(dns_server, sink)
    assert (
        relay.send("nowhere.test", envelope("x@nowhere.test"), RAW).results["x@nowhere.test"].outcome
        == PERMANENT
    )
    nomail = relay.send("nomail.test", envelope("x@nomail.test"), RAW)
    assert nomail.results["x@nomail.test"].outcome == PERMANENT
    assert not nomail.unavailable


def test_per_recipient_replies(dns_server, sink):
    sink.rcpt_replies["nobody@far.test"] = "550 5.1.1 no such user"
    sink.rcpt_replies["grey@far.test"] = "450 4.2.0 greylisted"
    result = make_relay(dns_server, sink).send(
        "far.test", envelope("bob@far.test", "nobody@far.test", "grey@far.test"), RAW
    )
    assert result.results["bob@far.test"].outcome == DELIVERED
    assert result.results["nobody@far.test"].outcome == PERMANENT
    assert result.results["nobody@far.test"].status == "5.1.1"
    assert result.results["grey@far.test"].outcome == TEMPORARY
    assert not result.unavailable
    assert sink.envelopes[0].recipients == ["bob@far.test"]


def test_data_refused(dns_server, sink):
    sink.data_reply = "554 5.7.1 spam"
    result = make_relay(dns_server, sink).send("far.test", envelope("bob@far.test"), RAW)
    assert result.results["bob@far.test"].outcome == PERMANENT
    assert "spam" in result.results["bob@far.test"].reply


def test_busy_greeting_is_temporary(dns_server, sink):
    sink.greeting = "421 4.3.2 busy"
    result = make_relay(dns_server, sink).send("far.test", envelope("bob@far.test"), RAW)
    assert result.results["bob@far.test"].outcome == TEMPORARY
    assert result.unavailable


def test_connection_reused_within_a_run(dns_server, sink):
    relay = make_relay(dns_server, sink)
    for rcpt in ("a@far.test", "b@far.test", "c@implicit.test"):
        domain = rcpt.split("@")[1]
        assert relay.send(domain, envelope(rcpt), RAW).results[rcpt].outcome == DELIVERED
    relay.close()
    assert sink.connections == 1  # same address and port: one session, RSET between transactions
    assert len(sink.envelopes) == 3


def test_dsn_and_8bit_parameters_pass_through(dns_server, sink):
    raw = RAW.replace(b"hello", "héllo".encode())
    env = envelope(
        "bob@far.test",
        dsn={"bob@far.test": {"notify": ["FAILURE", "DELAY"], "orcpt": "rfc822;bob+2Bx@far.test"}},
        ret="HDRS",
        envid="q 42",
        body_8bit=True,
    )
    make_relay(dns_server, sink).send("far.test", env, raw)
    (got,) = sink.envelopes
    assert "BODY=8BITMIME" in got.mail_params and "RET=HDRS" in got.mail_params
    assert "ENVID=q+2042" in got.mail_params
    assert got.rcpts[0][1] == ["NOTIFY=FAILURE,DELAY", "ORCPT=rfc822;bob+2Bx@far.test"]
    assert got.data == raw


def test_smtputf8_needed_but_not_offered(dns_server):
    with SmtpSink(extensions=("8BITMIME",)) as plain:
        relay = make_relay(dns_server, plain)
        result = relay.send("far.test", envelope("bøb@far.test", smtputf8=True), RAW)
    assert result.results["bøb@far.test"].outcome == PERMANENT
    assert result.results["bøb@far.test"].status == "5.6.7"


def test_size_over_the_servers_limit(dns_server):
    with SmtpSink(extensions=("SIZE 100",)) as small:
        result = make_relay(dns_server, small).send("far.test", envelope("bob@far.test"), RAW * 5)
    assert result.results["bob@far.test"].outcome == PERMANENT
    assert small.envelopes == []


def test_opportunistic_starttls(dns_server, tls_pair):
    with SmtpSink(tls_files=tls_pair) as secure:
        make_relay(dns_server, secure).send("far.test", envelope("bob@far.test"), RAW)
    assert secure.envelopes[0].tls


def test_required_tls_not_offered_waits(dns_server, sink):
    relay = make_relay(dns_server, sink, require_tls=["far.test"])
    result = relay.send("far.test", envelope("bob@far.test"), RAW)
    assert result.results["bob@far.test"].outcome == TEMPORARY
    assert "STARTTLS" in result.results["bob@far.test"].reply
    assert sink.envelopes == []


def test_smarthost_route_with_login(dns_server):
    with SmtpSink(users={"relayuser": "s3cret-pass"}) as smarthost:
        route = parse_route(f"*=relayuser:s3cret-pass@[127.0.0.2]:{smarthost.port}")
        relay = Relay(Resolver([dns_server.address]), helo="h.test", port=1, timeout=5, routes=[route])
        result = relay.send("nowhere.test", envelope("x@nowhere.test"), RAW)  # no DNS needed for it
    assert result.results["x@nowhere.test"].outcome == DELIVERED
    assert smarthost.envelopes[0].auth_user == "relayuser"


def test_route_syntax():
    r = parse_route("Example.com=u:p:w@smart.test:587")
    assert (r.pattern, r.host, r.port, r.user, r.password) == ("example.com", "smart.test", 587, "u", "p:w")
    assert parse_route(".example.com=[10.0.0.1]").host == "[10.0.0.1]"
    with pytest.raises(ValueError):
        parse_route("example.com")
    with pytest.raises(ValueError):
        parse_route("x=host:99999")
