"""Sieve benchmark: our engine beside Dovecot Pigeonhole's ``sieve-test``, the same script and messages,
measured in the same run.

    .venv/bin/python bench/sieve.py [--messages N] [--no-install]

The script has 50 rules (header :contains, address :domain/:localpart, envelope, size, body :text,
header :matches, anyof/allof/not; actions fileinto, addflag, stop), written with the extensions both
engines have: fileinto, envelope, body, imap4flags. The messages (default 400) are distinct, 2-20 KB,
plain, multipart/alternative and multipart/mixed with an attachment, some with encoded subjects,
mailing-list headers or priority headers.

Ours: the script compiled once, then per message ``filters.sieve_level.message_view(raw, sender,
recipient)`` (header parse and decoding, the MIME parse for the body text: what processing pays per
recipient) and ``evaluate``; best of 3 passes. A second row leaves the view building out.

Peer: ``sieve-test -c CONF -f SENDER -r RECIPIENT script.sieve message.eml``, without ``-e`` (nothing is
stored, the actions are only printed) and without trace, once per message from one shell loop. The
script is compiled once with ``sievec`` beforehand and ``sieve-test`` loads that binary, so its figure
is start a process + read config + load binary + parse the message + evaluate. ``sieve-test`` takes one
message per process, so the process start is part of its figure; a third row measures the same loop
with a one-command script (``keep;``) to show that floor.

If ``sieve-test`` is missing, ``apt-get install -y dovecot-sieve`` is tried once (2 minutes at most,
unless ``--no-install``); if that fails the peer rows are skipped with the reason printed.

Both engines' decisions are compared (folders each message ends in), and the agreement is printed.
"""

from __future__ import annotations

import argparse
import base64
import os
import platform
import random
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.report import fmt, print_table  # noqa: E402
from filters.sieve import compile_script, evaluate  # noqa: E402
from filters.sieve.actions import FileInto, Keep  # noqa: E402
from filters.sieve_level import message_view  # noqa: E402

PASSES = 3
LOCAL_DOMAIN = "bench.test"
PARTNERS = ["acme.example", "globex.example", "initech.example", "umbrella.example", "hooli.example",
            "stark.example", "wayne.example", "tyrell.example"]  # fmt: skip
OTHERS = ["mail.example.org", "example.net", "corp.example.com", "news.example", "shop.example"]
LISTS = ["dev", "announce", "users", "security", "jobs"]
TOPICS = ["invoice", "release", "outage", "contract", "meeting", "payroll", "roadmap", "security", "travel",
          "budget"]  # fmt: skip
BODY_WORDS = ["kubernetes", "quarterly", "refund", "webinar", "password", "shipment"]
VIP = ["ceo@acme.example", "boss@globex.example", "cfo@initech.example"]
_VOCABULARY = """
project report review team schedule customer lunch office draft update question answer thanks regards please
attached document summary quarter planning design server backup network printer holiday agenda minutes deadline
""".split()  # noqa: SIM905


# -- the script -------------------------------------------------------------------------------------


def make_script() -> str:
    """50 rules, in the order a real user's script tends to grow: the odd early exit, then topics."""
    rules: list[str] = [
        'if header :contains "x-spam-flag" "YES" { fileinto "Junk"; stop; }',
        'if not exists "date" { addflag "$Suspicious"; fileinto "Suspicious"; stop; }',
        f'if address :all :is "from" [{", ".join(f"{chr(34)}{v}{chr(34)}" for v in VIP)}] '
        '{ addflag "\\\\Flagged"; fileinto "VIP"; stop; }',
    ]
    for name in LISTS:  # 5
        rules.append(
            f'if header :matches "list-id" "*<{name}.lists.example>*" {{ fileinto "Lists/{name}"; stop; }}'
        )
    for domain in PARTNERS:  # 8
        folder = domain.split(".")[0].capitalize()
        rules.append(f'if address :domain :is "from" "{domain}" {{ fileinto "Partners/{folder}"; }}')
    for domain in PARTNERS[:5]:  # 5
        rules.append(f'if envelope :domain :is "from" "{domain}" {{ addflag "$Partner"; }}')
    for topic in TOPICS:  # 10
        rules.append(f'if header :contains "subject" "{topic}" {{ fileinto "Topics/{topic.capitalize()}"; }}')
    for word in BODY_WORDS:  # 6
        rules.append(f'if body :text :contains "{word}" {{ addflag "${word}"; }}')
    rules += [  # 13
        'if size :over 18K { addflag "$Large"; }',
        'if size :over 15K { fileinto "Large"; }',
        'if size :under 3K { addflag "$Small"; }',
        'if size :over 19500 { addflag "\\\\Flagged"; }',
        'if anyof (header :contains "x-priority" "1", header :is "importance" "high") { addflag "\\\\Flagged"; }',
        'if anyof (header :contains "precedence" "bulk", exists "list-unsubscribe") { addflag "$Bulk"; }',
        'if allof (address :localpart :is "to" "sales", header :contains "subject" "invoice") '
        '{ fileinto "Sales/Invoices"; stop; }',
        'if allof (address :localpart :is "to" "support", not header :contains "subject" "re:") '
        '{ fileinto "Support/New"; }',
        'if address :localpart :is "to" "jobs" { fileinto "HR"; }',
        'if envelope :localpart :is "from" "noreply" { addflag "$Automated"; }',
        'if header :contains "from" "newsletter" { fileinto "Newsletters"; stop; }',
        'if allof (body :text :contains "unsubscribe", size :over 10K) { fileinto "Promotions"; }',
        'if header :matches "subject" "*[urgent]*" { addflag "\\\\Flagged"; }',
    ]
    assert len(rules) == 50, len(rules)
    return 'require ["fileinto", "envelope", "body", "imap4flags"];\r\n\r\n' + "\r\n".join(rules) + "\r\n"


# -- the messages -----------------------------------------------------------------------------------


def _lines(rng: random.Random, size: int, extra: list[str]) -> str:
    out = list(extra)
    length = sum(len(x) + 2 for x in out)
    while length < size:
        line = " ".join(rng.choice(_VOCABULARY) for _ in range(11))
        out.insert(rng.randrange(len(out) + 1), line)
        length += len(line) + 2
    return "\r\n".join(out)


def make_message(rng: random.Random, n: int) -> tuple[str, str, bytes]:
    """(envelope sender, envelope recipient, raw) of the n-th message: distinct, 2-20 KB."""
    size = rng.randrange(2000, 20000)
    roll = rng.random()
    if roll < 0.02:
        sender = rng.choice(VIP)
    elif roll < 0.35:
        sender = f"{rng.choice(['anna', 'bob', 'noreply', 'billing', 'carl'])}@{rng.choice(PARTNERS)}"
    elif roll < 0.45:
        sender = f"newsletter@{rng.choice(OTHERS)}"
    else:
        sender = f"user{n % 53}@{rng.choice(OTHERS)}"
    rcpt = f"{rng.choice(['alice', 'alice', 'sales', 'support', 'jobs'])}@{LOCAL_DOMAIN}"
    words = rng.sample(_VOCABULARY, 3)
    if rng.random() < 0.4:
        words.insert(1, rng.choice(TOPICS))
    subject = " ".join(words) + f" #{n}"
    if rng.random() < 0.1:
        subject = "Re: " + subject
    if rng.random() < 0.05:
        subject += " [urgent]"
    if rng.random() < 0.15:  # encoded word (quoted-printable, UTF-8)
        subject = "=?utf-8?q?" + subject.replace(" ", "_").replace("#", "=23") + "_=C3=A9t=C3=A9?="
    head = [
        f"Return-Path: <{sender}>",
        f"Received: from mx{n % 7}.example.net (mx{n % 7}.example.net [192.0.2.{n % 250 + 1}]) by "
        f"mail.{LOCAL_DOMAIN} with ESMTPS id {n:08x}; Mon, 6 Jan 2025 10:{n % 60:02d}:00 +0000",
        f"From: Sender {n % 41} <{sender}>",
        f"To: <{rcpt}>",
        f"Subject: {subject}",
        f"Message-ID: <{n}.{rng.randrange(10**9)}@{sender.split('@')[1]}>",
    ]
    if rng.random() > 0.01:
        head.append(f"Date: Mon, 6 Jan 2025 10:{n % 60:02d}:00 +0000")
    if rng.random() < 0.2:
        name = rng.choice(LISTS)
        head += [f"List-Id: {name.capitalize()} list <{name}.lists.example>",
                 f"List-Unsubscribe: <mailto:{name}-leave@lists.example>", "Precedence: list"]  # fmt: skip
    if rng.random() < 0.08:
        head += ["X-Priority: 1 (Highest)", "Importance: high"]
    if rng.random() < 0.03:
        head.append("X-Spam-Flag: YES")
    extra = [rng.choice(BODY_WORDS)] if rng.random() < 0.4 else []
    if rng.random() < 0.1:
        extra.append("To unsubscribe from these mails, click here.")
    kind = rng.random()
    head.append("MIME-Version: 1.0")
    if kind < 0.6:
        head.append("Content-Type: text/plain; charset=utf-8")
        body = _lines(rng, size - 600, extra)
    else:
        boundary = f"=_b{n}_{rng.randrange(10**6)}"
        text = _lines(rng, (size - 800) // 2, extra)
        if kind < 0.9:
            html = "<html><body><p>" + text.replace("\r\n", "</p>\r\n<p>") + "</p></body></html>"
            second = f"Content-Type: text/html; charset=utf-8\r\n\r\n{html}"
            head.append(f'Content-Type: multipart/alternative; boundary="{boundary}"')
        else:
            blob = rng.randbytes((size - 800) // 2 * 3 // 4)

            encoded = base64.encodebytes(blob).decode().replace("\n", "\r\n")
            second = (
                "Content-Type: application/pdf; name=report.pdf\r\nContent-Transfer-Encoding: base64\r\n"
                f"Content-Disposition: attachment; filename=report.pdf\r\n\r\n{encoded}"
            )
            head.append(f'Content-Type: multipart/mixed; boundary="{boundary}"')
        body = (
            f"--{boundary}\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{text}\r\n"
            f"--{boundary}\r\n{second}\r\n--{boundary}--"
        )
    return sender, rcpt, ("\r\n".join(head) + "\r\n\r\n" + body + "\r\n").encode()


# -- ours -------------------------------------------------------------------------------------------


def best_of(fn: Callable[[], Any], repeat: int = PASSES) -> float:
    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best


def our_folders(outcome: Any) -> frozenset[str]:
    folders = set()
    for action in outcome.deliveries():
        if isinstance(action, FileInto):
            folders.add(action.folder)
        elif isinstance(action, Keep):
            folders.add("INBOX")
    return frozenset(folders)


# -- the peer ---------------------------------------------------------------------------------------


def find_sieve_test(allow_install: bool) -> tuple[str | None, str]:
    """(path of sieve-test or None, a note on how it was found or why it is missing)."""
    found = shutil.which("sieve-test")
    if found:
        return found, "installed"
    if not allow_install:
        return None, "sieve-test not installed (--no-install)"
    try:
        t = time.monotonic()
        proc = subprocess.run(
            ["apt-get", "install", "-y", "dovecot-sieve"], capture_output=True, text=True, timeout=120
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return None, f"apt-get install dovecot-sieve failed: {exc}"
    found = shutil.which("sieve-test")
    if proc.returncode or not found:
        return (
            None,
            f"apt-get install dovecot-sieve failed (exit {proc.returncode}): {proc.stderr.strip()[-200:]}",
        )
    return found, f"installed by this run in {time.monotonic() - t:.0f} s"


def peer_version(sieve_test: str) -> str:
    out = subprocess.run(
        ["dpkg-query", "-W", "-f=${Version}", "dovecot-sieve"], capture_output=True, text=True
    )
    return f"Pigeonhole (dovecot-sieve {out.stdout.strip()})" if out.returncode == 0 else sieve_test


def run_loop(sieve_test: str, conf: Path, script: Path, listing: Path, out: Path) -> float:
    """One shell loop: sieve-test per message (the shell's own cost is a builtin read per line)."""
    loop = (
        'while IFS="\t" read -r f s r; do printf "=== %s\\n" "$f"; '
        f'"{sieve_test}" -c "{conf}" -f "$s" -r "$r" "{script}" "$f" || exit 1; done < "{listing}"'
    )
    t = time.perf_counter()
    with out.open("wb") as fh:
        subprocess.run(["bash", "-c", loop], stdout=fh, stderr=subprocess.PIPE, check=True)
    return time.perf_counter() - t


def peer_folders(output: str) -> dict[str, frozenset[str]]:
    """Parse sieve-test's "Performed actions" / "Implicit keep" output per message."""
    result: dict[str, set[str]] = {}
    current = ""
    for line in output.splitlines():
        if line.startswith("=== "):
            current = line[4:]
            result[current] = set()
        elif "store message in folder:" in line:
            result[current].add(line.split("store message in folder:", 1)[1].strip())
    return {k: frozenset(v) for k, v in result.items()}


# -- main -------------------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--messages", type=int, default=400, help="how many distinct messages (default 400)")
    parser.add_argument("--no-install", action="store_true", help="do not try apt-get install dovecot-sieve")
    args = parser.parse_args()

    rng = random.Random(5228)
    text = make_script()
    messages = [make_message(rng, n) for n in range(args.messages)]
    total_kb = sum(len(m[2]) for m in messages) / 1024
    n = len(messages)
    print(
        f"bench/sieve.py {datetime.now(UTC):%Y-%m-%d}, {platform.node()}, {os.cpu_count()} CPUs, Python "
        f"{platform.python_version()}; 50-rule script, {n} messages, "
        f"{min(len(m[2]) for m in messages)}-{max(len(m[2]) for m in messages)} bytes, {total_kb:,.0f} KB in all"
    )

    t = time.perf_counter()
    script = compile_script(text)
    compile_ms = (time.perf_counter() - t) * 1000

    def with_views() -> list[Any]:
        return [evaluate(script, message_view(raw, s, r)) for s, r, raw in messages]

    views = [message_view(raw, s, r) for s, r, raw in messages]
    outcomes = with_views()
    errors = [o.errors for o in outcomes if o.errors]
    if errors:
        print(f"  our engine reported run-time errors: {errors[:3]}")
    ours_full = n / best_of(with_views)
    ours_eval = n / best_of(lambda: [evaluate(script, v) for v in views])
    rows = [
        ["messages/s, view from raw + evaluate (ours) vs sieve-test per message", f"{fmt(ours_full)} msg/s"],
        ["messages/s, evaluate only (ours, views prebuilt)", f"{fmt(ours_eval)} msg/s"],
        ["messages/s, peer floor: sieve-test per message with `keep;`", ""],
        [
            "ms/message beyond the `keep;` floor (peer: difference of the two loops)",
            f"{fmt(1000 / ours_full)} ms",
        ],
        ["script compile, once", f"{fmt(compile_ms)} ms"],
    ]

    sieve_test, how = find_sieve_test(not args.no_install)
    agreement = ""
    if sieve_test is None:
        print(f"  peer skipped: {how}")
        for row in rows:
            row += ["-", "-"]
    else:
        work = Path(tempfile.mkdtemp(prefix="fp-bench-sieve-"))
        try:
            os.chmod(work, 0o755)  # sieve-test drops to mail_uid (nobody) when run as root
            conf = work / "dovecot.conf"
            conf.write_text(
                "mail_uid = nobody\nmail_gid = nogroup\n"
                f"mail_location = maildir:{work}/mail\nssl = no\nlog_path = /dev/stderr\n"
            )
            script_path = work / "bench.sieve"
            script_path.write_text(text)
            keep_path = work / "keep.sieve"
            keep_path.write_text("keep;\r\n")
            t = time.perf_counter()
            subprocess.run(["sievec", "-c", str(conf), str(script_path)], check=True, capture_output=True)
            peer_compile_ms = (time.perf_counter() - t) * 1000  # a process start included
            subprocess.run(["sievec", "-c", str(conf), str(keep_path)], check=True, capture_output=True)
            listing = work / "messages.tsv"
            lines = []
            for i, (s, r, raw) in enumerate(messages):
                path = work / f"m{i:04d}.eml"
                path.write_bytes(raw)
                lines.append(f"{path}\t{s}\t{r}\n")
            listing.write_text("".join(lines))
            for p in work.iterdir():
                os.chmod(p, 0o644)
            out = work / "out.txt"
            peer_full = n / min(run_loop(sieve_test, conf, script_path, listing, out) for _ in range(2))
            decided = peer_folders(out.read_text(errors="replace"))
            peer_keep = n / min(
                run_loop(sieve_test, conf, keep_path, listing, work / "keep.txt") for _ in range(2)
            )
            same = sum(
                1
                for i, o in enumerate(outcomes)
                if decided.get(str(work / f"m{i:04d}.eml")) == our_folders(o)
            )
            agreement = f"same folders decided by both engines for {same} of {n} messages"
            rows[0] += [f"{fmt(peer_full)} msg/s", f"{ours_full / peer_full:.2f}x"]
            rows[1] += [f"{fmt(peer_full)} msg/s", f"{ours_eval / peer_full:.2f}x"]
            rows[2][1] = "-"
            rows[2] += [f"{fmt(peer_keep)} msg/s", ""]
            beyond = 1000 / peer_full - 1000 / peer_keep
            rows[3] += [f"{fmt(beyond)} ms", f"{beyond * ours_full / 1000:.2f}x"]
            rows[4] += [f"{fmt(peer_compile_ms)} ms", f"{peer_compile_ms / compile_ms:.2f}x"]
            print(f"  peer: {peer_version(sieve_test)}, {how}; no -e, no trace; one process per message")
        finally:
            shutil.rmtree(work, ignore_errors=True)

    print()
    print_table(["measure", "Fieldpost", "sieve-test", "ratio (>1: Fieldpost better)"], rows)
    print()
    print(
        "  ours includes building the MessageView from the raw bytes (header parse and decoding, MIME parse"
        " for body :text), as processing does per recipient; compile is not in the per-message figure"
    )
    if sieve_test is not None:
        print(
            "  sieve-test's figure includes one process start per message (config read, binary load,"
            " message parse); its `keep;` row is that floor, not a Sieve cost, and the ms/message row takes it out (ours there is the whole per-message cost); peer compile is sievec,"
            " a process start included"
        )
        print(f"  {agreement}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
