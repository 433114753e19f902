"""The ``jmapc`` client (PyPI) against a served Fieldpost over HTTPS.

The data directory is ``fieldpost init --demo``'s; ``fieldpost serve`` runs processing and IMAP, and the
web service runs as the supervisor runs it (``service_argv``: gunicorn, gevent worker, ``wsgi:app``)
with the data directory's own certificate (``tls/cert.pem``, whose names cover localhost), because the
web listener itself is plain (an operator fronts it with a TLS proxy) and JMAP takes passwords over
https only. jmapc trusts that certificate and nothing else.

What a JMAP client does: session discovery from ``/.well-known/jmap``, Mailbox/get, Email/query and
Email/get of a draft alice saved over IMAP, EmailSubmission/set of it (with the implicit Email/set that
files it in Sent), bob reading it over IMAP after the processing service delivered it, and a
VacationResponse/set that WebMail's out-of-office page then shows.
"""

from __future__ import annotations

import imaplib
import re
import ssl
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import jmapc
import pytest

from fieldpost import config as configuration
from fieldpost.processes import service_argv
from tests.fieldpost.conftest import REPO
from tests.interop.conftest import Server, start_supervisor, wait_for
from tests.support.service import init_demo

pytestmark = pytest.mark.timeout(300)

HOST = "mail.example.test"
PASSWORD = "demopass1"
SUBMISSION = "urn:ietf:params:jmap:submission"
VACATION = "urn:ietf:params:jmap:vacationresponse"


@dataclass
class Served:
    supervisor: Server
    web: subprocess.Popen[bytes]
    https_port: int
    cafile: str

    def imap(self, user: str) -> imaplib.IMAP4:
        box = imaplib.IMAP4("127.0.0.1", self.supervisor.port("imap"))
        box.starttls(ssl.create_default_context(cafile=self.cafile))
        box.login(f"{user}@example.test", PASSWORD)
        return box

    def client(self, user: str) -> jmapc.Client:
        client = jmapc.Client.create_with_password(
            f"localhost:{self.https_port}", f"{user}@example.test", PASSWORD
        )
        session = client.requests_session
        session.trust_env = False  # REQUESTS_CA_BUNDLE in the environment would win over ``verify``
        session.verify = self.cafile  # the server's own certificate, nothing else
        return client


def _up(url: str, cafile: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2, context=ssl.create_default_context(cafile=cafile)) as r:
            return bool(r.status == 200)
    except OSError:
        return False


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    data = tmp_path_factory.mktemp("jmapc") / "data"
    init_demo(data, HOST)
    config_file = data / "fieldpost.toml"
    config_file.write_text(
        re.sub(r"^services = .*$", 'services = ["processing", "imap"]', config_file.read_text(), flags=re.M)
    )
    supervisor = start_supervisor(data, ("processing", "imap"))
    web: subprocess.Popen[bytes] | None = None
    try:
        config = configuration.load(data, supervisor.offset)
        argv = service_argv(config, "web")
        tls = ["--certfile", str(data / "tls" / "cert.pem"), "--keyfile", str(data / "tls" / "key.pem")]
        argv = argv[:-1] + tls + argv[-1:]
        with (data.parent / "web.out").open("wb") as out:
            web = subprocess.Popen(
                argv, cwd=REPO, env=config.child_environment(), stdin=subprocess.DEVNULL,
                stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
            )  # fmt: skip
        port = supervisor.port("webmail")
        cafile = str(data / "tls" / "cert.pem")
        wait_for(
            lambda: web.poll() is not None or _up(f"https://localhost:{port}/health", cafile), 60, "https"
        )
        assert web.poll() is None, (data.parent / "web.out").read_text()
        yield Served(supervisor, web, port, cafile)
    finally:
        if web is not None and web.poll() is None:
            web.terminate()
            try:
                web.wait(timeout=20)
            except subprocess.TimeoutExpired:
                web.kill()
                web.wait()
        supervisor.stop()


def _call(client: jmapc.Client, name: str, using: str, args: dict[str, object]) -> dict[str, object]:
    """A method jmapc has no class for, through its CustomMethod."""
    method = jmapc.methods.CustomMethod(data={"accountId": client.account_id, **args})
    method.jmap_method = name
    method.using = {using}
    response = client.request(method)
    assert isinstance(response, jmapc.methods.CustomResponse), response
    return dict(response.data or {})


def test_jmapc_reads_sends_and_sets_the_vacation_response(served: Served) -> None:
    from jmapc.methods import (
        EmailGet,
        EmailQuery,
        EmailSubmissionGet,
        EmailSubmissionSet,
        IdentityGet,
        MailboxGet,
    )
    from jmapc.models import EmailQueryFilterCondition, EmailSubmission

    # a draft alice saved with another mail program
    imap = served.imap("alice")
    draft = (
        b"From: Alice <alice@example.test>\r\nTo: bob@example.test\r\nSubject: Sent with jmapc\r\n"
        b"Message-ID: <jmapc-1@example.test>\r\nDate: Mon, 07 Dec 2026 12:00:00 +0000\r\n\r\nHello Bob.\r\n"
    )
    assert imap.append("Drafts", "(\\Draft \\Seen)", None, draft)[0] == "OK"
    imap.logout()

    alice = served.client("alice")
    session = alice.jmap_session
    assert SUBMISSION in session.capabilities.urns and VACATION in session.capabilities.urns
    mailboxes = alice.request(MailboxGet(ids=None)).data
    roles = {m.role: m for m in mailboxes if m.role}
    assert {"inbox", "drafts", "sent"} <= set(roles)
    found = alice.request(EmailQuery(filter=EmailQueryFilterCondition(in_mailbox=roles["drafts"].id)))
    emails = alice.request(EmailGet(ids=found.ids, properties=["id", "subject", "mailboxIds"])).data
    (mail,) = [e for e in emails if e.subject == "Sent with jmapc"]

    identities = alice.request(IdentityGet(ids=None)).data
    me = next(i for i in identities if i.email == "alice@example.test")
    results = alice.request(
        EmailSubmissionSet(
            create={"send": EmailSubmission(identity_id=me.id, email_id=mail.id)},
            on_success_update_email={
                "#send": {
                    f"mailboxIds/{roles['drafts'].id}": None,
                    f"mailboxIds/{roles['sent'].id}": True,
                    "keywords/$draft": None,
                }
            },
        )
    )
    submitted, implicit = results  # EmailSubmission/set, then the implicit Email/set
    assert submitted.created and "send" in submitted.created, submitted
    assert implicit.updated is not None and mail.id in implicit.updated, implicit
    record = alice.request(EmailSubmissionGet(ids=[submitted.created["send"].id])).data[0]
    assert record.undo_status.value == "final" and record.email_id == mail.id

    def bob_has_it() -> bool:
        box = served.imap("bob")
        try:
            box.select("INBOX", readonly=True)
            typ, hits = box.search(None, "SUBJECT", '"Sent with jmapc"')
            return typ == "OK" and bool(hits[0].split())
        finally:
            box.logout()

    wait_for(bob_has_it, 60, "the message in bob's INBOX")
    sent = alice.request(EmailQuery(filter=EmailQueryFilterCondition(in_mailbox=roles["sent"].id))).ids
    assert sent, "the implicit Email/set filed the message in Sent"

    # the vacation response, set through JMAP, is WebMail's out-of-office reply
    done = _call(
        alice,
        "VacationResponse/set",
        VACATION,
        {
            "update": {
                "singleton": {"isEnabled": True, "subject": "Away", "textBody": "Back on Monday, jmapc"}
            }
        },
    )
    assert done.get("updated") == {"singleton": None}, done
    got = _call(alice, "VacationResponse/get", VACATION, {"ids": None})
    assert got["list"][0]["textBody"] == "Back on Monday, jmapc"  # type: ignore[index]
    page = _webmail_page(served, "/mail/settings/out-of-office")
    assert "Back on Monday, jmapc" in page


def _webmail_page(served: Served, path: str) -> str:
    """``path`` of WebMail as alice, signed in through the login form (a cookie session over https)."""
    import requests

    web = requests.Session()
    web.trust_env = False
    web.verify = served.cafile
    base = f"https://localhost:{served.https_port}"
    form = web.get(f"{base}/login", timeout=30).text
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', form)
    assert token, form
    signed_in = web.post(
        f"{base}/login",
        data={"username": "alice@example.test", "password": PASSWORD, "csrf_token": token.group(1)},
        headers={"Referer": f"{base}/login"},
        timeout=30,
    )
    assert signed_in.status_code == 200, signed_in.status_code
    deadline = time.monotonic() + 10
    while True:
        page = web.get(f"{base}{path}", timeout=30)
        if page.status_code == 200 or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert page.status_code == 200, page.status_code
    return page.text


def test_the_certificate_is_the_only_one_trusted(served: Served, tmp_path: Path) -> None:
    """jmapc refuses the server when it does not trust its certificate: the test above really ran over
    TLS checked against the data directory's pair."""
    import requests

    client = jmapc.Client.create_with_password(
        f"localhost:{served.https_port}", "alice@example.test", PASSWORD
    )
    with pytest.raises(requests.exceptions.SSLError):
        _ = client.jmap_session
