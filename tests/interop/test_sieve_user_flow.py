"""The filter engine's "done when", the way a user reaches it: a Sieve script uploaded with a real
ManageSieve client files, flags, rejects, redirects and answers vacation mail.

``fieldpost serve`` runs the supervisor on a demo data directory (alice, bob and carol @example.test).
Debian's ``sieve-connect`` uploads and activates alice's script over ManageSieve (RFC 5804) with
STARTTLS verified against the server's certificate; mail arrives over SMTP from smtplib (an outside
sender on the MX listener, bob and carol over submission with AUTH); what happened is read back over
IMAPS with imapclient, as a mail client would see it. Beyond the five actions: GETSCRIPT returns the
script as uploaded, a broken script is refused with its line (PUTSCRIPT and CHECKSCRIPT) while the
active one stays, mail to ``alice+lists@`` runs alice's script, and two users redirecting to each other
do not make the message circle for ever (``smtp.max_received_headers`` is set to 6 for that test).

The MX listener checks SPF, DKIM and DMARC (on by default): ``dns.nameservers`` points at the test DNS
server, where outside.test does not exist, so SPF says "none" and the mail is accepted, as it would be
from a domain without SPF. Nothing is switched off for the test.
"""

from __future__ import annotations

import smtplib
import ssl
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from email import message_from_bytes
from email.message import EmailMessage, Message

import pytest
from imapclient import IMAPClient

from tests.interop.conftest import (
    DEMO_PASSWORD,
    Server,
    fieldpost,
    make_demo_data,
    start_supervisor,
    wait_for,
)
from tests.interop.sieve_connect import SieveConnect, sieve_connect_binary
from tests.support.dnsserver import TEST_ZONE, DnsServer

pytestmark = pytest.mark.slow

ALICE, BOB, CAROL = "alice@example.test", "bob@example.test", "carol@example.test"
OUTSIDER = "someone@outside.test"
SCRIPT_NAME = "rules"
REJECT_TEXT = "Alice does not take this kind of mail."
# Each rule exercises the extensions the issue names: imap4flags + fileinto :create (mailbox), envelope +
# redirect :copy, reject, subaddress, and vacation with its reason held in a variable.
SCRIPT = """\
require ["fileinto", "imap4flags", "reject", "vacation", "copy", "mailbox", "envelope", "variables",
         "subaddress"];
set "away" "I am away";
if header :contains "subject" "invoice" {
    addflag "\\\\Flagged";
    fileinto :create "Finance";
} elsif envelope :is "from" "bob@example.test" {
    redirect :copy "carol@example.test";
} elsif header :contains "subject" "spam-me-not" {
    reject "Alice does not take this kind of mail.";
} elsif envelope :detail "to" "lists" {
    fileinto :create "Lists";
} else {
    vacation :days 1 :subject "Away" "${away}";
}
"""
# A missing ";" after the fileinto on line 3: the parse error belongs to line 4, where "}" comes.
BROKEN = 'require "fileinto";\nif true {\n    fileinto "Trash"\n}\n'
SLOW = 30  # hang guard for anything that goes through the queue
MAX_HOPS = 6  # smtp.max_received_headers for this server: also ends redirect loops


@dataclass
class World:
    server: Server
    sieve: SieveConnect  # alice's sieve-connect


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    binary = sieve_connect_binary()
    root = tmp_path_factory.mktemp("sieveflow")
    data = make_demo_data(root / "data")
    with DnsServer({"test.": TEST_ZONE}) as dns:
        fieldpost(data, "settings", "set", "dns.nameservers", dns.address)
        fieldpost(data, "settings", "set", "smtp.max_received_headers", str(MAX_HOPS))
        server = start_supervisor(data, ("smtp", "processing", "imap"))
        try:
            sieve = SieveConnect(
                binary, server.port("managesieve"), server.cafile, ALICE, DEMO_PASSWORD, root
            )
            upload = sieve.upload(SCRIPT_NAME, SCRIPT)
            assert upload.returncode == 0, upload.stdout
            activate = sieve.activate(SCRIPT_NAME)
            assert activate.returncode == 0, activate.stdout
            yield World(server, sieve)
        finally:
            assert server.stop() == 0, server.output()


def message(sender: str, to: str, subject: str) -> EmailMessage:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = sender, to, subject
    msg["Message-ID"] = f"<{uuid.uuid4().hex}@{sender.rpartition('@')[2]}>"
    msg.set_content(f"{subject}\n")
    return msg


def send_from_outside(server: Server, msg: EmailMessage) -> None:
    """An outside server delivering to our MX listener: no AUTH, plain SMTP as on port 25."""
    with smtplib.SMTP("127.0.0.1", server.port("smtp"), local_hostname="mail.outside.test", timeout=30) as s:
        s.send_message(msg)


def submit(server: Server, user: str, msg: EmailMessage) -> None:
    """A local user's mail client: submission with STARTTLS (certificate verified) and AUTH PLAIN."""
    context = ssl.create_default_context(cafile=server.cafile)
    with smtplib.SMTP("127.0.0.1", server.port("submission"), local_hostname="laptop", timeout=30) as s:
        s.starttls(context=context)
        s.login(user, DEMO_PASSWORD)
        s.send_message(msg)


@dataclass
class Seen:
    """One message as an IMAP client sees it."""

    flags: set[str]
    msg: Message


def folder(server: Server, user: str, name: str = "INBOX") -> list[Seen] | None:
    """Every message of ``user``'s folder over IMAPS (read-only, flags untouched); None: no such folder."""
    context = ssl.create_default_context(cafile=server.cafile)
    with IMAPClient(
        "127.0.0.1", port=server.port("imaps"), ssl=True, ssl_context=context, timeout=30
    ) as imap:
        imap.login(user, DEMO_PASSWORD)
        if not imap.folder_exists(name):
            return None
        imap.select_folder(name, readonly=True)
        uids = imap.search("ALL")
        fetched = imap.fetch(uids, ["FLAGS", "BODY.PEEK[]"]) if uids else {}
        return [
            Seen({f.decode() for f in item[b"FLAGS"]}, message_from_bytes(item[b"BODY[]"]))
            for item in fetched.values()
        ]


def with_subject(server: Server, user: str, subject: str, name: str = "INBOX") -> list[Seen]:
    return [s for s in folder(server, user, name) or [] if subject in str(s.msg["Subject"])]


def arrives(server: Server, user: str, subject: str, name: str = "INBOX", count: int = 1) -> list[Seen]:
    """Poll until ``count`` messages whose subject contains ``subject`` are in the folder."""
    return wait_for(
        lambda: (found := with_subject(server, user, subject, name)) and len(found) >= count and found,
        SLOW,
        f"{count} message(s) {subject!r} in {user}'s {name}",
    )


def queue_drained(server: Server) -> None:
    """Wait until the queue is empty: whatever the filters sent (reports, replies) has been delivered."""
    wait_for(lambda: not server.queued(), SLOW, "the queue to empty")


def unique(subject: str) -> str:
    return f"{subject} {uuid.uuid4().hex[:8]}"


def test_script_is_uploaded_activated_and_read_back_as_sent(world: World) -> None:
    listing = world.sieve.listing()
    assert listing.returncode == 0, listing.stdout
    assert f'"{SCRIPT_NAME}" ACTIVE' in listing.stdout
    assert world.sieve.download(SCRIPT_NAME) == SCRIPT


def test_invoice_is_filed_into_a_new_finance_folder_and_flagged(world: World) -> None:
    subject = unique("Your invoice for November")
    send_from_outside(world.server, message(OUTSIDER, ALICE, subject))
    [seen] = arrives(world.server, ALICE, subject, "Finance")
    assert "\\Flagged" in seen.flags
    assert "\\Seen" not in seen.flags
    assert seen.msg["Return-Path"] == f"<{OUTSIDER}>"
    assert "spf=none" in " ".join(str(seen.msg["Authentication-Results"]).split())
    assert with_subject(world.server, ALICE, subject) == []  # fileinto cancels the implicit keep
    queue_drained(world.server)
    assert with_subject(world.server, ALICE, subject) == []


def test_mail_from_bob_is_redirected_to_carol_and_alice_keeps_hers(world: World) -> None:
    subject = unique("lunch on friday")
    submit(world.server, BOB, message(BOB, ALICE, subject))
    [kept] = arrives(world.server, ALICE, subject)
    [copy] = arrives(world.server, CAROL, subject)
    assert kept.msg["Message-ID"] == copy.msg["Message-ID"]
    assert copy.msg["From"] == BOB and copy.msg["To"] == ALICE  # redirect leaves the message unchanged
    assert "\\Flagged" not in kept.flags
    queue_drained(world.server)
    assert len(with_subject(world.server, CAROL, subject)) == 1
    assert with_subject(world.server, BOB, "Away") == []  # the redirect branch sends no vacation reply


def test_rejected_mail_is_not_delivered_and_its_sender_gets_a_report(world: World) -> None:
    subject = unique("spam-me-not: cheap watches")
    sent = message(CAROL, ALICE, subject)
    submit(world.server, CAROL, sent)
    [report] = arrives(world.server, CAROL, f"Undeliverable: {subject}")
    assert report.msg["Return-Path"] == "<>"
    assert report.msg.get_content_type() == "multipart/report"
    status = next(p for p in report.msg.walk() if p.get_content_type() == "message/delivery-status")
    text = status.as_string()
    assert f"Final-Recipient: rfc822;{ALICE}" in text.replace("rfc822; ", "rfc822;")
    assert "Action: failed" in text and "Status: 5.7.1" in text and REJECT_TEXT in text
    queue_drained(world.server)
    for name in ("INBOX", "Finance"):
        assert with_subject(world.server, ALICE, subject, name) == []
    answered = [
        s for s in with_subject(world.server, CAROL, "Away") if s.msg["In-Reply-To"] == sent["Message-ID"]
    ]
    assert answered == []  # the reject branch sends no vacation reply


def test_vacation_answers_a_sender_once(world: World) -> None:
    first, second = unique("are you around?"), unique("one more question")
    sent = message(CAROL, ALICE, first)
    submit(world.server, CAROL, sent)
    arrives(world.server, ALICE, first)
    [reply] = arrives(world.server, CAROL, "Away")
    assert str(reply.msg["Subject"]) == "Away"
    assert ALICE in str(reply.msg["From"])
    assert reply.msg["Return-Path"] == "<>"  # RFC 5230 5: replies go out with the null sender
    assert reply.msg["Auto-Submitted"] == "auto-replied"
    assert reply.msg["In-Reply-To"] == sent["Message-ID"]
    assert reply.msg.get_payload(decode=True).decode().strip() == "I am away"

    submit(world.server, CAROL, message(CAROL, ALICE, second))
    arrives(world.server, ALICE, second)  # the second message is kept as usual...
    queue_drained(world.server)
    replies = with_subject(world.server, CAROL, "Away")
    assert len(replies) == 1, [str(r.msg["In-Reply-To"]) for r in replies]  # ...but not answered again


def test_a_broken_script_is_refused_with_its_line_and_the_active_one_stays(world: World) -> None:
    refused = world.sieve.upload("broken", BROKEN)
    assert refused.returncode != 0
    assert "line 4" in refused.stdout and "parse error" in refused.stdout, refused.stdout
    checked = world.sieve.run("--localsieve", "broken.siv", "--checkscript")  # CHECKSCRIPT, RFC 5804 2.12
    assert checked.returncode != 0
    assert "line 4" in checked.stdout and "parse error" in checked.stdout, checked.stdout
    (world.sieve.workdir / "good.siv").write_text(SCRIPT)
    assert world.sieve.run("--localsieve", "good.siv", "--checkscript").returncode == 0

    listing = world.sieve.listing()
    assert f'"{SCRIPT_NAME}" ACTIVE' in listing.stdout
    assert '"broken"' not in listing.stdout
    assert world.sieve.download(SCRIPT_NAME) == SCRIPT

    subject = unique("invoice after the failed upload")
    send_from_outside(world.server, message(OUTSIDER, ALICE, subject))
    [seen] = arrives(world.server, ALICE, subject, "Finance")
    assert "\\Flagged" in seen.flags


def test_a_redirect_loop_between_two_users_ends(world: World) -> None:
    """carol redirects "ping-pong" mail back to alice, whose script redirects bob's mail to carol: each
    turn adds a Received field, and once a copy would carry more than MAX_HOPS of them the redirect is
    dropped (RFC 5228 4.2 loop control) instead of circling for ever."""
    carol = SieveConnect(world.sieve.binary, world.sieve.port, world.sieve.cafile, CAROL, DEMO_PASSWORD,
                         world.sieve.workdir)  # fmt: skip
    script = 'require "copy";\nif header :contains "subject" "ping-pong" { redirect :copy "alice@example.test"; }\n'
    assert carol.upload("back", script).returncode == 0
    assert carol.activate("back").returncode == 0
    subject = unique("ping-pong")
    submit(world.server, BOB, message(BOB, ALICE, subject))
    # bob's message arrives with 1 Received field; alice holds the copies with 1, 3, 5 of them, carol
    # those with 2, 4, 6; carol's copy with 6 is not redirected again.
    arrives(world.server, ALICE, subject, count=MAX_HOPS // 2)
    arrives(world.server, CAROL, subject, count=MAX_HOPS // 2)
    queue_drained(world.server)
    at_alice, at_carol = (
        with_subject(world.server, ALICE, subject),
        with_subject(world.server, CAROL, subject),
    )
    assert (len(at_alice), len(at_carol)) == (MAX_HOPS // 2, MAX_HOPS // 2)
    hops = sorted(len(s.msg.get_all("Received") or []) for s in at_alice + at_carol)
    assert hops == list(range(1, MAX_HOPS + 1))
    log = (world.server.data / "logs" / "processing.log").read_text()
    assert f"redirect of {CAROL} to {ALICE} not done" in log


def test_mail_to_a_subaddress_runs_the_accounts_script(world: World) -> None:
    """alice+lists@ and alice+shop@ reach alice (RFC 5233): her script runs for them, and its envelope
    test sees the detail."""
    digest, invoice = unique("weekly digest"), unique("invoice from the shop")
    send_from_outside(world.server, message(OUTSIDER, "alice+lists@example.test", digest))
    send_from_outside(world.server, message(OUTSIDER, "alice+shop@example.test", invoice))
    arrives(world.server, ALICE, digest, "Lists")
    [seen] = arrives(world.server, ALICE, invoice, "Finance")
    assert "\\Flagged" in seen.flags
    queue_drained(world.server)
    assert with_subject(world.server, ALICE, digest) == with_subject(world.server, ALICE, invoice) == []
