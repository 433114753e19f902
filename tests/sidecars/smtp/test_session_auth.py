"""Transcripts of AUTH (RFC 4954) on the submission listeners, and what authentication allows."""

from __future__ import annotations

import base64
import hashlib
import hmac

import pytest

from fieldpost.logs import PROTOCOL_LEVEL
from sidecars.smtp import replies as R
from storage.store import Store
from tests.sidecars.smtp.conftest import ALICE, ALICE_PW, BOB, HOST, Client, MakeClient

MESSAGE = "From: alice@example.test\r\nSubject: s\r\n\r\nbody\r\n.\r\n"


def say(reply: R.Reply, **values: object) -> str:
    return (reply.format(**values) if values else reply).encode().decode()


def b64(data: bytes | str) -> str:
    return base64.b64encode(data.encode() if isinstance(data, str) else data).decode()


def challenge(reply: str) -> bytes:
    assert reply.startswith("334 ") and reply.endswith("\r\n"), reply
    return base64.b64decode(reply[4:-2])


def tls_submission(make_client: MakeClient) -> Client:
    c = make_client("submission", tls_active=True)
    c.ehlo()
    return c


def test_plain_with_initial_response(make_client: MakeClient) -> None:
    c = tls_submission(make_client)
    assert c.cmd("AUTH PLAIN " + b64(f"\0{ALICE}\0{ALICE_PW}")) == say(R.AUTH_OK)
    assert c.cmd("AUTH PLAIN =") == say(R.ALREADY_AUTHENTICATED)


def test_plain_after_empty_challenge(make_client: MakeClient) -> None:
    c = tls_submission(make_client)
    assert c.cmd("AUTH PLAIN") == "334 \r\n"
    assert c.cmd(b64(f"\0{ALICE}\0{ALICE_PW}")) == say(R.AUTH_OK)


def test_plain_failure_then_success(make_client: MakeClient) -> None:
    c = tls_submission(make_client)
    assert c.cmd("AUTH PLAIN " + b64(f"\0{ALICE}\0wrongpass1")) == say(R.AUTH_FAILED)
    assert c.login() == say(R.AUTH_OK)


def test_login(make_client: MakeClient) -> None:
    c = tls_submission(make_client)
    assert challenge(c.cmd("AUTH LOGIN")) == b"Username:"
    assert challenge(c.cmd(b64(ALICE))) == b"Password:"
    assert c.cmd(b64(ALICE_PW)) == say(R.AUTH_OK)


def test_login_failure(make_client: MakeClient) -> None:
    c = tls_submission(make_client)
    assert challenge(c.cmd(f"AUTH LOGIN {b64(ALICE)}")) == b"Password:"
    assert c.cmd(b64("nope-nope")) == say(R.AUTH_FAILED)


def _scram(c: Client, password: str) -> str:
    first_bare = f"n={ALICE},r=fyko+d2lbbFgONRv9qkxdawL"
    server_first = challenge(c.cmd(f"AUTH SCRAM-SHA-256 {b64('n,,' + first_bare)}")).decode()
    attrs = dict(item.split("=", 1) for item in server_first.split(","))
    salted = hashlib.pbkdf2_hmac("sha256", password.encode(), base64.b64decode(attrs["s"]), int(attrs["i"]))
    client_key = hmac.new(salted, b"Client Key", hashlib.sha256).digest()
    without_proof = f"c=biws,r={attrs['r']}"
    auth_message = f"{first_bare},{server_first},{without_proof}".encode()
    signature = hmac.new(hashlib.sha256(client_key).digest(), auth_message, hashlib.sha256).digest()
    proof = bytes(a ^ b for a, b in zip(client_key, signature, strict=True))
    reply = c.cmd(b64(f"{without_proof},p={b64(proof)}"))
    if not reply.startswith("334 "):
        return reply
    server_key = hmac.new(salted, b"Server Key", hashlib.sha256).digest()
    expected = b"v=" + base64.b64encode(hmac.new(server_key, auth_message, hashlib.sha256).digest())
    assert challenge(reply) == expected
    return c.cmd("")


def test_scram_sha_256(make_client: MakeClient) -> None:
    c = tls_submission(make_client)
    assert _scram(c, ALICE_PW) == say(R.AUTH_OK)


def test_scram_sha_256_wrong_password(make_client: MakeClient) -> None:
    c = tls_submission(make_client)
    assert _scram(c, "wrongpass1") == say(R.AUTH_FAILED)


def test_cancel_bad_base64_and_unknown_mechanism(make_client: MakeClient) -> None:
    c = tls_submission(make_client)
    c.cmd("AUTH LOGIN")
    assert c.cmd("*") == say(R.AUTH_CANCELLED)
    c.cmd("AUTH PLAIN")
    assert c.cmd("!!!notbase64") == say(R.BAD_BASE64)
    assert c.cmd("AUTH GSSAPI") == say(R.UNKNOWN_MECHANISM, name="GSSAPI")
    assert c.cmd("AUTH CRAM-MD5") == say(R.UNKNOWN_MECHANISM, name="CRAM-MD5")  # not enabled
    assert c.cmd("NOOP") == say(R.OK)


def test_auth_needs_tls_and_a_submission_listener(make_client: MakeClient) -> None:
    c = make_client("submission")
    c.ehlo()
    assert c.login() == say(R.ENCRYPTION_REQUIRED)
    mx = make_client(tls_active=True)
    mx.ehlo()
    assert mx.login() == say(R.AUTH_NOT_AVAILABLE)


def test_auth_not_allowed_inside_a_transaction(submission: Client, make_client: MakeClient) -> None:
    c = make_client("submission", tls_active=True)
    c.ehlo()
    c.cmd("MAIL FROM:<>")  # refused: auth first
    assert c.last.data.decode() == say(R.AUTH_REQUIRED)
    submission.cmd(f"MAIL FROM:<{ALICE}>")
    assert submission.cmd("AUTH PLAIN =") == say(
        R.BAD_SEQUENCE, text="AUTH is not allowed during a mail transaction"
    )


def test_submission_requires_auth(make_client: MakeClient) -> None:
    c = tls_submission(make_client)
    assert c.cmd(f"MAIL FROM:<{ALICE}>") == say(R.AUTH_REQUIRED)
    assert c.cmd(f"RCPT TO:<{BOB}>") == say(R.NEED_MAIL)
    assert c.cmd("NOOP") == say(R.OK)


def test_authenticated_submission_relays_and_is_traced(submission: Client, store: Store) -> None:
    assert submission.cmd(f"MAIL FROM:<{ALICE}>") == say(R.SENDER_OK, address=ALICE)
    assert submission.cmd("RCPT TO:<friend@elsewhere.example>") == say(
        R.RECIPIENT_OK, address="friend@elsewhere.example"
    )
    assert submission.cmd("DATA") == say(R.START_DATA)
    reply = submission.send(MESSAGE)
    qid = int(reply.split()[-1])
    queued = store.queue.get(qid)
    assert queued.origin["auth"] == ALICE and queued.origin["listener"] == "submission"
    assert queued.origin["tls"] is True and queued.origin["protocol"] == "ESMTPSA"
    assert " with ESMTPSA id " in store.queue.raw(qid).decode()


def test_impersonation_is_refused(submission: Client) -> None:
    assert submission.cmd(f"MAIL FROM:<{BOB}>") == say(R.NOT_OWNED, address=BOB, user=ALICE)
    assert submission.cmd("MAIL FROM:<ceo@elsewhere.example>") == say(
        R.NOT_OWNED, address="ceo@elsewhere.example", user=ALICE
    )
    assert submission.cmd("MAIL FROM:<al@example.test>") == say(R.SENDER_OK, address="al@example.test")
    submission.cmd("RSET")
    assert submission.cmd("MAIL FROM:<alice+news@example.test>").startswith("250 ")
    submission.cmd("RSET")
    assert submission.cmd("MAIL FROM:<>") == say(R.SENDER_OK, address="")


def test_send_as_grant_allows_another_address(submission: Client, store: Store) -> None:
    store.acl.grant(BOB, "", ALICE, "0")
    assert submission.cmd(f"MAIL FROM:<{BOB}>") == say(R.SENDER_OK, address=BOB)


def test_too_many_auth_failures_close_the_session(make_client: MakeClient, store: Store) -> None:
    store.settings.set("net.smtp.max_auth_failures", 2)
    c = tls_submission(make_client)
    assert c.login(password="wrongpass1") == say(R.AUTH_FAILED)
    assert c.login(password="wrongpass2") == say(R.AUTH_FAILED) + say(R.TOO_MANY_AUTH_FAILURES, host=HOST)
    assert c.last.close


def test_throttled_login(make_client: MakeClient, store: Store) -> None:
    store.settings.set("net.smtp.max_auth_failures", 0)
    c = tls_submission(make_client)
    replies = [c.login(password=f"wrongpass{i}") for i in range(6)]
    assert replies[0] == say(R.AUTH_FAILED)
    assert replies[-1] == say(R.THROTTLED)


def test_disabled_smtp_service(make_client: MakeClient, store: Store) -> None:
    store.settings.set("services.smtp", False, account=ALICE)
    assert tls_submission(make_client).login() == say(R.AUTH_FAILED)


def test_protocol_trace_hides_credentials_and_message_text(
    make_client: MakeClient, caplog: pytest.LogCaptureFixture
) -> None:
    token = b64(f"\0{ALICE}\0{ALICE_PW}")
    with caplog.at_level(PROTOCOL_LEVEL, logger="test.smtp"):
        c = tls_submission(make_client)
        c.cmd(f"AUTH PLAIN {token}")
        c.cmd("AUTH LOGIN")
        c.send(f"MAIL FROM:<{ALICE}>\r\nRCPT TO:<{BOB}>\r\nDATA\r\n")
        c.send("Subject: secret plans\r\n\r\nbody\r\n.\r\n")
    text = caplog.text
    assert "C: AUTH PLAIN <initial response>" in text and token not in text
    assert f"S: 250 2.1.0 Sender <{ALICE}> ok" in text
    assert "C: <message text, " in text and "secret plans" not in text


def test_tls_started_forgets_a_plaintext_login(make_client: MakeClient, store: Store) -> None:
    store.settings.set("smtp.allow_plaintext_auth", True)
    c = make_client("submission")
    assert "AUTH SCRAM-SHA-256 PLAIN LOGIN" in c.ehlo()
    assert c.login() == say(R.AUTH_OK)
    assert c.cmd("STARTTLS") == say(R.TLS_GO_AHEAD)
    c.session.tls_started()
    c.ehlo()
    assert c.cmd(f"MAIL FROM:<{ALICE}>") == say(R.AUTH_REQUIRED)


def test_connection_lost_mid_message_queues_nothing(submission: Client, store: Store) -> None:
    submission.send(f"MAIL FROM:<{ALICE}>\r\nRCPT TO:<{BOB}>\r\nDATA\r\nSubject: half\r\n")
    submission.session.connection_lost()
    assert submission.session.receive(b".\r\n").close
    assert store.queue.list() == []


def _cram(c: Client, user: str, password: str) -> str:
    nonce = challenge(c.cmd("AUTH CRAM-MD5"))
    digest = hmac.new(password.encode(), nonce, hashlib.md5).hexdigest()
    return c.cmd(b64(f"{user} {digest}"))


def test_cram_md5_offered_when_one_domain_allows_it(make_client: MakeClient, store: Store) -> None:
    store.domains.add("other.test")
    store.settings.set("auth.allow_cram", True, domain="example.test")
    store.accounts.set_password(BOB, "bobpass-cram")  # the secret is kept from now on
    c = tls_submission(make_client)
    assert "AUTH SCRAM-SHA-256 PLAIN LOGIN CRAM-MD5" in c.ehlo()
    assert _cram(c, BOB, "bobpass-cram") == say(R.AUTH_OK)


def test_cram_md5_refused_where_the_accounts_domain_has_it_off(make_client: MakeClient, store: Store) -> None:
    store.settings.set("auth.allow_cram", True)
    store.accounts.set_password(BOB, "bobpass-cram")
    store.settings.set("auth.allow_cram", False, domain="example.test")  # the secret stays until a change
    assert store.auth.shared_secret(BOB) == "bobpass-cram"
    c = tls_submission(make_client)
    assert "CRAM-MD5" in c.ehlo()  # on at server level
    assert _cram(c, BOB, "bobpass-cram") == say(R.AUTH_FAILED)  # same reply as a wrong password
    assert _cram(c, BOB, "wrong-password") == say(R.AUTH_FAILED)
    assert c.login() == say(R.AUTH_OK)  # other mechanisms are unaffected


def test_cram_md5_not_offered_when_no_domain_allows_it(make_client: MakeClient, store: Store) -> None:
    store.domains.add("other.test")
    store.settings.set("auth.allow_cram", False, domain="other.test")
    assert "CRAM-MD5" not in tls_submission(make_client).ehlo()


# -- the From: header of submitted mail (issue 9 item 7): the user's own addresses, or a grant, or a setting


def submit(c: Client, header_from: str, sender: str = ALICE) -> str:
    """A whole transaction to a remote recipient with the given From: field; the reply to the text."""
    assert c.cmd(f"MAIL FROM:<{sender}>").startswith("250 ")
    assert c.cmd("RCPT TO:<friend@elsewhere.example>").startswith("250 ")
    assert c.cmd("DATA") == say(R.START_DATA)
    return c.send(f"From: {header_from}\r\nSubject: s\r\n\r\nbody\r\n.\r\n")


def test_header_from_of_another_user_is_refused(submission: Client, store: Store) -> None:
    assert submit(submission, BOB) == say(R.FROM_NOT_OWNED, address=BOB, user=ALICE)
    assert submit(submission, "The CEO <ceo@elsewhere.example>") == say(
        R.FROM_NOT_OWNED, address="ceo@elsewhere.example", user=ALICE
    )
    # RFC 5322 3.6.2: several authors; every one of them must be the user's
    assert submit(submission, f"Alice <{ALICE}>, Bob <{BOB}>") == say(
        R.FROM_NOT_OWNED, address=BOB, user=ALICE
    )
    assert submit(submission, "no-domain") == say(R.FROM_NOT_OWNED, address="no-domain", user=ALICE)
    assert store.queue.list(limit=10) == []


def test_header_from_of_the_users_own_addresses_is_accepted(submission: Client) -> None:
    assert submit(submission, f'"Alice A." <{ALICE.upper()}>').startswith("250 ")
    assert submit(submission, "Al <al@example.test>").startswith("250 ")  # her alias
    assert submit(submission, "alice+lists@example.test").startswith("250 ")
    assert submit(submission, "=?utf-8?q?Al=C3=AFce?= <alice@example.test>").startswith("250 ")


def test_header_from_with_a_send_as_grant(submission: Client, store: Store) -> None:
    store.acl.grant(BOB, "", ALICE, "0")
    assert submit(submission, f"Bob <{BOB}>").startswith("250 ")
    assert submit(submission, f"Bob <{BOB}>", sender=BOB).startswith("250 ")


def test_header_from_with_a_send_on_behalf_grant_needs_sender(submission: Client, store: Store) -> None:
    """Bob grants alice "send on behalf" ("2"): From: bob passes with Sender: alice; not without it, and
    a Sender: naming someone else is refused like a foreign From:."""
    store.acl.grant(BOB, "", ALICE, "2")
    assert submit(submission, f"Bob <{BOB}>\r\nSender: Alice <{ALICE}>").startswith("250 ")
    assert submit(submission, f"Bob <{BOB}>") == say(R.FROM_NOT_OWNED, address=BOB, user=ALICE)
    assert submit(submission, f"{ALICE}\r\nSender: {BOB}") == say(R.FROM_NOT_OWNED, address=BOB, user=ALICE)
    assert len(store.queue.list(limit=10)) == 1


def test_send_as_withdrawn_during_the_transaction_refuses_the_message(
    submission: Client, store: Store
) -> None:
    """The envelope sender is asked again when the message is queued (mailflow.submission): a grant
    withdrawn between MAIL and the end of the text refuses it, with 550 as RFC 5321 4.3.2 allows there."""
    store.acl.grant(BOB, "", ALICE, "0")
    assert submission.cmd(f"MAIL FROM:<{BOB}>") == say(R.SENDER_OK, address=BOB)
    assert submission.cmd("RCPT TO:<friend@elsewhere.example>").startswith("250 ")
    assert submission.cmd("DATA") == say(R.START_DATA)
    assert store.acl.revoke(BOB, "", ALICE)
    reply = submission.send(f"From: {ALICE}\r\nSubject: s\r\n\r\nbody\r\n.\r\n")
    assert reply == say(R.SENDER_NOT_OWNED_AT_DATA, address=BOB, user=ALICE)
    assert store.queue.list(limit=10) == []


def test_header_from_allowed_by_setting(submission: Client, store: Store) -> None:
    store.settings.set("smtp.allow_any_header_from", True, domain="example.test")
    assert submit(submission, "list@elsewhere.example").startswith("250 ")
    store.settings.set("smtp.allow_any_header_from", False, account=ALICE)  # the account level wins
    assert submit(submission, "list@elsewhere.example") == say(
        R.FROM_NOT_OWNED, address="list@elsewhere.example", user=ALICE
    )


def test_mx_mail_is_not_subject_to_the_header_from_rule(client: Client) -> None:
    assert client.cmd("MAIL FROM:<x@example.net>").startswith("250 ")
    assert client.cmd(f"RCPT TO:<{ALICE}>").startswith("250 ")
    assert client.cmd("DATA") == say(R.START_DATA)
    assert client.send(f"From: {BOB}\r\n\r\nforged, but not by one of ours\r\n.\r\n").startswith("250 ")


def test_received_names_the_authenticated_user(submission: Client, store: Store) -> None:
    reply = submit(submission, ALICE)
    raw = store.queue.raw(int(reply.split()[-1])).decode()
    received = raw.split("\r\n\t")[:3]
    assert received[1] == f"(authenticated as {ALICE})"
    assert received[2].startswith("by mx.example.test (Fieldpost) with ESMTPSA id ")
