"""Whole-server backup and restore with real clients: Debian's lftp mirrors a server down and back into
a fresh one, and both compare equal; curl fetches one message over explicit FTPS; a delegated
administrator sees and restores only their domains."""

from __future__ import annotations

import filecmp
import ftplib
import io
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.fieldpost.conftest import run_cli
from tests.sidecars.ftp.conftest import ADMIN, ADMIN_PW, FTP_PORT, client_context, copy_data, store_of
from tests.support.service import running

pytestmark = pytest.mark.skipif(shutil.which("lftp") is None, reason="lftp is not installed (make deps)")

LFTP_SETTINGS = (
    "set ssl:verify-certificate no; set ftp:ssl-force yes; set ftp:ssl-protect-data yes; "
    "set net:max-retries 2; set net:timeout 30; set cmd:fail-exit yes"
)


def lftp(port: int, command: str, user: str = ADMIN, password: str = ADMIN_PW) -> str:
    script = f"{LFTP_SETTINGS}; open -u {user},{password} -p {port} 127.0.0.1; {command}; bye"
    done = subprocess.run(
        ["lftp", "-c", script],
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "HOME": "/nonexistent"},
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def enrich(data: Path) -> None:
    """Give the demo server one of everything a backup carries."""
    with store_of(data) as st:
        alice = "alice@example.test"
        st.settings.set("quota.messages", 5000, account=alice)
        st.settings.set("quota.messages", 9000, domain="example.test")
        st.accounts.add_alias(alice, "ali@example.test")
        st.folders.create(alice, "Projects/2025")
        st.acl.grant(alice, "Projects", "bob@example.test", "lrs")
        st.scripts.put(
            "account",
            alice,
            "filters",
            'require "fileinto";\nif header :contains "subject" "x" { fileinto "Projects"; }\n',
        )
        st.scripts.activate("account", alice, "filters")
        uid = st.mail.append(
            alice,
            "Projects/2025",
            b"From: c@example.test\r\nSubject: plan\r\n\r\nsee\r\n",
            ["\\Seen", "$Work"],
        )
        st.mail.append(
            alice, "Projects/2025", b"From: c@example.test\r\nSubject: later\r\n\r\nx\r\n", ["\\Flagged"]
        )
        st.mail.set_flags(st.folders.get(alice, "Projects/2025").id, [uid], ["\\Answered"])
        st.groups.add("team@example.test")
        st.groups.add_member("team@example.test", "carol@example.test")
        st.forwarders.add("sales@example.test", ["someone@elsewhere.test"])
        st.folders.create("@example.test", "Notices")
        st.mail.append("@example.test", "Notices", b"Subject: notice\r\n\r\nhello all\r\n")


def compare_trees(a: Path, b: Path) -> None:
    cmp = filecmp.dircmp(a, b)
    assert not cmp.left_only and not cmp.right_only, (a, cmp.left_only, cmp.right_only)
    _, mismatch, errors = filecmp.cmpfiles(a, b, cmp.common_files, shallow=False)
    assert not mismatch and not errors, (a, mismatch, errors)
    for name in cmp.common_files:
        if name.endswith(".eml"):  # the internal date travels as the file's time (MDTM/MFMT)
            assert int((a / name).stat().st_mtime) == int((b / name).stat().st_mtime), a / name
    for sub in cmp.common_dirs:
        compare_trees(a / sub, b / sub)


def test_lftp_mirror_down_and_back_into_a_fresh_server(ftp_template: Path, tmp_path: Path) -> None:
    source = copy_data(ftp_template, tmp_path / "a")
    enrich(source)
    target = tmp_path / "b" / "data"
    run_cli(
        "init",
        "--data",
        str(target),
        "--admin-password",
        ADMIN_PW,
        "--hostname",
        "mail2.example.test",
        check=True,
    )
    first, second = tmp_path / "backup", tmp_path / "again"
    with (
        running("sidecars.ftp", "ftp", source) as (a_offset, _a),
        running("sidecars.ftp", "ftp", target) as (b_offset, _b),
    ):
        lftp(FTP_PORT + a_offset, f"mirror / {first}")
        lftp(FTP_PORT + b_offset, f"mirror -R {first} /")
        lftp(FTP_PORT + b_offset, f"mirror / {second}")
    assert (first / "example.test" / "accounts" / "alice" / "folders" / "Projects" / "2025").is_dir()
    compare_trees(first, second)
    doc = json.loads((second / "example.test" / "accounts" / "alice" / "account.json").read_text())
    assert doc["settings"] == {"quota.messages": 5000} and "filters" in doc["sieve"]
    with store_of(target) as st:  # users keep their passwords, rights, scripts and flags
        assert st.auth.verify("alice@example.test", "demopass1").aliases == ("ali@example.test",)
        assert "r" in str(st.acl.rights("bob@example.test", "alice@example.test", "Projects/2025"))
        assert st.scripts.active("account", "alice@example.test").name == "filters"  # type: ignore[union-attr]
        flags = {
            m.uid: m.flags for m in st.mail.flags(st.folders.get("alice@example.test", "Projects/2025").id)
        }
        assert flags[1] == {"\\Seen", "\\Answered", "$Work"} and flags[2] == {"\\Flagged"}
        assert st.settings.get("quota.messages", domain="example.test") == 9000


def test_curl_fetches_a_message_over_explicit_ftps(ftp_port: int, connect: object) -> None:
    if shutil.which("curl") is None:
        pytest.skip("curl is not installed")
    ftp = ftplib.FTP_TLS(context=client_context(), timeout=30)
    ftp.connect("127.0.0.1", ftp_port)
    ftp.login(ADMIN, ADMIN_PW)
    ftp.prot_p()
    inbox = "/example.test/accounts/alice/folders/INBOX"
    name = ftp.nlst(inbox)[0].rpartition("/")[2]
    expected = io.BytesIO()
    ftp.retrbinary(f"RETR {inbox}/{name}", expected.write)
    ftp.quit()
    done = subprocess.run(
        ["curl", "--silent", "--show-error", "--ssl-reqd", "--insecure", "--user", f"{ADMIN}:{ADMIN_PW}",
         f"ftp://127.0.0.1:{ftp_port}{inbox}/{name}"],
        capture_output=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout == expected.getvalue() and done.stdout
    plain = subprocess.run(
        ["curl", "--silent", "--user", f"{ADMIN}:{ADMIN_PW}", f"ftp://127.0.0.1:{ftp_port}{inbox}/{name}"],
        capture_output=True, timeout=60,
    )  # fmt: skip
    assert plain.returncode != 0 and not plain.stdout  # no login without TLS


def test_a_delegated_administrator_sees_and_restores_only_their_domains(ftp_data: Path) -> None:
    with store_of(ftp_data) as st:
        view = st.for_admin(ADMIN)
        view.add_domain("other.test")
        view.add_account("zed@other.test", "zedpass123")
        view.admins.add("deleg", "delegpass1")
        view.admins.grant("example.test", admin="deleg", rights="backup")
        view.admins.add("viewer", "viewerpass1")
        view.admins.grant("other.test", admin="viewer", rights="none")
    with running("sidecars.ftp", "ftp", ftp_data) as (offset, _proc):
        port = FTP_PORT + offset
        assert lftp(port, "cls -1 /", user="deleg", password="delegpass1").split() == ["/example.test/"]
        ftp = ftplib.FTP_TLS(context=client_context(), timeout=30)
        ftp.connect("127.0.0.1", port)
        ftp.login("deleg", "delegpass1")
        ftp.prot_p()
        for path in ("/other.test", "/other.test/public", "/other.test/accounts/zed/folders/INBOX"):
            with pytest.raises(ftplib.error_perm, match="550 domain other.test does not exist"):
                ftp.cwd(path)
        with pytest.raises(ftplib.error_perm, match="550"):
            ftp.storbinary(
                "STOR /other.test/accounts/zed/folders/INBOX/1,.eml", io.BytesIO(b"Subject: x\r\n\r\ny\r\n")
            )
        with pytest.raises(ftplib.error_perm, match="550"):
            ftp.mkd("/other.test/accounts/mallory")
        with pytest.raises(ftplib.error_perm, match="550"):
            ftp.mkd("/new.test")  # making domains is a server administrator's
        assert "UID" in ftp.storbinary(
            "STOR /example.test/accounts/alice/folders/Archive/5,S.eml",
            io.BytesIO(b"Subject: x\r\n\r\ny\r\n"),
        )
        ftp.quit()
        viewer = ftplib.FTP_TLS(context=client_context(), timeout=30)
        viewer.connect("127.0.0.1", port)
        viewer.login("viewer", "viewerpass1")
        viewer.prot_p()
        assert viewer.nlst("/") == []  # other.test is granted without the backup permission
        viewer.quit()
    with store_of(ftp_data) as st:
        assert st.mail.uids(st.folders.get("zed@other.test", "INBOX").id) == []
        assert [a.address for a in st.accounts.list("other.test")] == [
            "postmaster@other.test",
            "zed@other.test",
        ]
        assert [d.name for d in st.domains.list()] == ["example.test", "other.test"]
