"""The mailbox bench/webmail.py serves from both WebMails: N messages made once and cached as a Maildir.

The same bytes go into Fieldpost's store and into Dovecot's Maildir (Roundcube's backend), so both
list, open and search the same mail. Generating 100,000 messages takes a while, so the corpus is kept
under the bench cache directory (``$FIELDPOST_BENCH_CACHE``, else ``~/.cache/fieldpost-bench``) as
``webmail-<N>-<seed>/cur/``; a complete corpus has a ``done`` marker, a partial one is made again.

The messages look like an ordinary inbox spread over three years: distinct dates (so a date sort is not
degenerate), 70 % plain text, 25 % multipart/alternative with an HTML part, 5 % with a small PDF-like
attachment, 1.5-20 KB (about 8 KB on average). One message in 200 has one of ``SEARCH_WORDS`` in its
Subject, so a search finds about N/200 x 1/len(SEARCH_WORDS) hits per word (100 per word at 100,000).
"""

from __future__ import annotations

import base64
import os
import random
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

SEARCH_WORDS = ("zanzibar", "quokka", "marmalade", "tangerine", "obsidian")
_VOCABULARY = """
project budget report review team schedule customer invoice lunch travel office contract release server
backup network printer holiday agenda minutes draft update question answer thanks regards please attached
document summary quarter planning design meeting offer order delivery support ticket account payment
"""
_WORDS = _VOCABULARY.split()
_NAMES = ["Anna Berg", "Bob Stone", "Carla Diaz", "Dieter Vogel", "Emma Laine", "Farid Haddad", "Greta Olsen",
          "Hiro Tanaka", "Ines Costa", "Jonas Weber", "Kofi Mensah", "Lena Novak"]  # fmt: skip
_DOMAINS = ["partner.example", "supplier.example", "lists.example", "customer.example", "example.org"]
START = datetime(2023, 1, 1, tzinfo=UTC)
SPAN = timedelta(days=3 * 365)


def cache_root() -> Path:
    return Path(os.environ.get("FIELDPOST_BENCH_CACHE") or Path.home() / ".cache" / "fieldpost-bench")


def make_message(rng: random.Random, n: int, total: int, rcpt: str) -> bytes:
    """The n-th of ``total`` messages (CRLF line ends): distinct Message-ID, date and content."""
    name = rng.choice(_NAMES)
    sender = f"{name.split()[0].lower()}@{rng.choice(_DOMAINS)}"
    words = rng.sample(_WORDS, 3)
    if n % 200 == 7:
        words.insert(1, SEARCH_WORDS[(n // 200) % len(SEARCH_WORDS)])
    subject = " ".join(words).capitalize() + f" #{n}"
    if rng.random() < 0.1:
        subject = "Re: " + subject
    date = START + SPAN * (n / total) + timedelta(seconds=rng.randrange(0, 600))
    text = _paragraphs(rng, rng.randrange(1200, 10000))
    head = [
        f"Return-Path: <{sender}>",
        f"Received: from mx{n % 5}.{sender.split('@')[1]} by mail.example.test; {format_datetime(date)}",
        f"From: {name} <{sender}>",
        f"To: <{rcpt}>",
        f"Subject: {subject}",
        f"Date: {format_datetime(date)}",
        f"Message-ID: <{n}.{rng.randrange(10**9)}@{sender.split('@')[1]}>",
        "MIME-Version: 1.0",
    ]
    roll = rng.random()
    if roll < 0.70:
        head.append("Content-Type: text/plain; charset=utf-8")
        body = text
    else:
        boundary = f"=_b{n}_{rng.randrange(10**6)}"
        html = "<html><body>" + "".join(f"<p>{p}</p>" for p in text.split("\r\n\r\n")) + "</body></html>"
        parts = [f"Content-Type: text/plain; charset=utf-8\r\n\r\n{text}",
                 f"Content-Type: text/html; charset=utf-8\r\n\r\n{html}"]  # fmt: skip
        kind = "alternative"
        if roll >= 0.95:
            kind = "mixed"
            blob = base64.encodebytes(rng.randbytes(rng.randrange(1000, 4000))).decode().replace("\n", "\r\n")
            parts = [parts[0], "Content-Type: application/pdf; name=\"report.pdf\"\r\n"
                     "Content-Disposition: attachment; filename=\"report.pdf\"\r\n"
                     f"Content-Transfer-Encoding: base64\r\n\r\n{blob}"]  # fmt: skip
        head.append(f'Content-Type: multipart/{kind}; boundary="{boundary}"')
        body = "".join(f"--{boundary}\r\n{part}\r\n" for part in parts) + f"--{boundary}--\r\n"
    return ("\r\n".join(head) + "\r\n\r\n" + body).encode()


def _paragraphs(rng: random.Random, size: int) -> str:
    out: list[str] = []
    length = 0
    while length < size:
        para = " ".join(rng.choice(_WORDS) for _ in range(rng.randrange(20, 60))).capitalize() + "."
        out.append(para)
        length += len(para) + 4
    return "\r\n\r\n".join(out) + "\r\n"


def corpus(total: int, rcpt: str, seed: int = 4242) -> Path:
    """The cached corpus directory (``cur/`` holds the messages, named ``<n>.bench:2,``)."""
    root = cache_root() / f"webmail-{total}-{seed}"
    if (root / "done").exists():
        return root
    shutil.rmtree(root, ignore_errors=True)
    (root / "cur").mkdir(parents=True)
    rng = random.Random(seed)
    for n in range(total):
        (root / "cur" / f"{1700000000 + n}.M{n}P1.bench:2,").write_bytes(make_message(rng, n, total, rcpt))
        if (n + 1) % 20000 == 0:
            print(f"    generated {n + 1:,}/{total:,}", flush=True)
    (root / "done").write_text(f"{total} messages for {rcpt}\n")
    return root


def messages(root: Path) -> Iterator[tuple[str, bytes]]:
    """(file name, bytes) in generation order."""
    names = sorted(os.listdir(root / "cur"), key=lambda name: int(name.split(".M")[1].split("P")[0]))
    for name in names:
        yield name, (root / "cur" / name).read_bytes()
