"""SORT and THREAD with their UID forms (RFC 5256 3, RFC 5957 DISPLAYFROM/DISPLAYTO).

The messages are found by the SEARCH evaluator; the sort keys and threads come from the envelope
cached at delivery (References is read from the header block, for THREAD=REFERENCES only), and the
ordering itself is done by :mod:`sidecars.imap.sorting` and :mod:`sidecars.imap.threads`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sidecars.imap import response as R
from sidecars.imap.contract import Done, No
from sidecars.imap.parser import Command
from sidecars.imap.search import Candidate, header_values, run_search
from sidecars.imap.searchkeys import SortSpec, ThreadSpec, uses
from sidecars.imap.selected import enable_condstore
from storage import mime

if TYPE_CHECKING:
    from sidecars.imap.session import ImapSession


def _infos(s: ImapSession, found: list[Candidate]) -> dict[int, Any]:
    if not found:
        return {}
    return {i.uid: i for i in found[0].reader.info([c.uid for c in found])}


def sort(s: ImapSession, cmd: Command) -> Done:
    # RFC 5256 3 (SORT), RFC 5957 (DISPLAYFROM, DISPLAYTO)
    try:
        from sidecars.imap import sorting
    except ImportError:
        raise No("SORT is not available", "CANNOT") from None
    spec: SortSpec = cmd.spec
    with_modseq = uses(spec.key, {"MODSEQ"})
    enabled = enable_condstore(s) if with_modseq else []  # RFC 7162 3.1
    found = run_search(s, spec.key)
    infos = _infos(s, found)
    inputs = []
    for c in found:
        env, _ = mime.from_json(infos[c.uid].structure)
        inputs.append(
            sorting.SortInput(
                num=c.uid if spec.uid else c.seq,
                internal_date=infos[c.uid].internal_date,
                date=_parse(env.date),
                size=infos[c.uid].size,
                subject=env.subject,
                from_=env.from_,
                to=env.to,
                cc=env.cc,
            )
        )
    order = sorting.sort(inputs, list(spec.criteria))
    line = "SORT" + "".join(f" {n}" for n in order)
    if with_modseq and found:  # RFC 7162 3.1.6 (sort-data): the highest mod-sequence of those found
        line += f" (MODSEQ {max(c.flags.modseq for c in found)})"
    return Done([*enabled, R.untagged(line)], f"{cmd.name} completed")


def _parse(value: str | None) -> datetime | None:
    from storage.mime.headers import parse_date

    return parse_date(value)


def thread(s: ImapSession, cmd: Command) -> Done:
    # RFC 5256 3 (THREAD=ORDEREDSUBJECT, THREAD=REFERENCES)
    from sidecars.imap import threads

    spec: ThreadSpec = cmd.spec
    found = run_search(s, spec.key)
    infos = _infos(s, found)
    inputs = []
    for c in found:
        c.info = infos[c.uid]
        env = c.envelope
        refs: tuple[str, ...] = ()
        if spec.algorithm == "REFERENCES":
            refs = tuple(v for value in header_values(c, "References") for v in value.split())
        inputs.append(
            threads.ThreadInput(
                num=c.uid if spec.uid else c.seq,
                subject=env.subject or "",
                date=_parse(env.date),
                internal_date=c.info.internal_date,
                message_id=env.message_id,
                in_reply_to=env.in_reply_to,
                references=refs,
            )
        )
    build: Callable[[Any], Any] = (
        threads.thread_references if spec.algorithm == "REFERENCES" else threads.thread_orderedsubject
    )
    data = threads.format_threads(build(inputs))
    return Done([R.untagged(b"THREAD " + data if data else b"THREAD")], f"{cmd.name} completed")
