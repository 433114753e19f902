"""Real DAV clients against the real web service (gunicorn, gevent worker) on 127.0.0.1.

* the ``caldav`` library (PyPI): discovery from /dav/, making a calendar, saving events (one recurring),
  searching by time range (expanded and not), deleting, and bob reading a calendar alice shared;
* Debian's ``vdirsyncer``: a calendar and an address book synced both ways twice (the second run changes
  nothing), then ``khal`` and ``khard`` reading what was synced.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import uuid
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import unquote

import pytest

from tests.webmail.dav.conftest import card, event
from tests.webmail.live import PASSWORD, LiveServer

pytestmark = pytest.mark.timeout(300)


def client(live: LiveServer, user: str) -> object:
    import caldav

    return caldav.DAVClient(url=f"{live.url}/dav/", username=f"{user}@example.test", password=PASSWORD)


def test_caldav_library_round_trip_and_a_shared_calendar(live_server: LiveServer) -> None:
    name = f"lib-{uuid.uuid4().hex[:8]}"
    alice = client(live_server, "alice").principal()  # type: ignore[attr-defined]
    calendar = alice.make_calendar(name="Library test", cal_id=name)
    assert any(str(c.url).rstrip("/").endswith(name) for c in alice.calendars())
    calendar.save_event(event("lib-1", "20261207T090000Z", "20261207T100000Z", "Kick-off"))
    calendar.save_event(event("lib-2", "20261221T090000Z", "20261221T100000Z", "Later"))
    calendar.save_event(
        event("lib-3", "20261201T120000Z", "20261201T130000Z", "Daily", "RRULE:FREQ=DAILY;COUNT=30\r\n")
    )
    start, end = datetime(2026, 12, 7, tzinfo=UTC), datetime(2026, 12, 14, tzinfo=UTC)
    found = calendar.search(start=start, end=end, event=True, expand=False)
    summaries = sorted(str(e.icalendar_component["SUMMARY"]) for e in found)
    assert summaries == ["Daily", "Kick-off"]
    expanded = calendar.search(start=start, end=end, event=True, expand=True)
    assert sum(1 for e in expanded if str(e.icalendar_component["SUMMARY"]) == "Daily") == 7
    later = calendar.search(
        start=datetime(2026, 12, 21, tzinfo=UTC), end=datetime(2026, 12, 22, tzinfo=UTC), event=True
    )
    for item in later:
        if str(item.icalendar_component["SUMMARY"]) == "Later":
            item.delete()
    assert [
        str(e.icalendar_component["SUMMARY"])
        for e in calendar.search(
            start=datetime(2026, 12, 21, tzinfo=UTC), end=datetime(2026, 12, 22, tzinfo=UTC), event=True
        )
    ] == ["Daily"]

    store = live_server.store
    owner = next(a for a in store.accounts.list() if a.address == "alice@example.test")
    reader = next(a for a in store.accounts.list() if a.address == "bob@example.test")
    folder = next(c for c in store.for_user(owner.id).organizer.collections() if c.path == name)
    store.for_user(owner.id).change_entry(folder.folder_id, "bob@example.test", "lr")
    bob = client(live_server, "bob").principal()  # type: ignore[attr-defined]
    shared = [
        c for c in bob.calendars() if unquote(str(c.url)).rstrip("/").endswith(f"alice@example.test:{name}")
    ]
    assert len(shared) == 1, [str(c.url) for c in bob.calendars()]
    seen = shared[0].search(start=start, end=end, event=True)
    assert "Kick-off" in {str(e.icalendar_component["SUMMARY"]) for e in seen}
    assert reader.id != owner.id


def run(argv: list[str], env: dict[str, str], stdin: str = "") -> str:
    done = subprocess.run(argv, env=env, input=stdin, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, f"{argv} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout + done.stderr


@pytest.mark.skipif(
    not all(shutil.which(t) for t in ("vdirsyncer", "khal", "khard")),
    reason="make deps installs vdirsyncer, khal, khard",
)
def test_vdirsyncer_both_ways_twice_then_khal_and_khard(live_server: LiveServer, tmp_path: Path) -> None:
    import caldav

    suffix = uuid.uuid4().hex[:8]
    user = "carol@example.test"
    dav = caldav.DAVClient(url=f"{live_server.url}/dav/", username=user, password=PASSWORD)
    principal = dav.principal()
    calendar = principal.make_calendar(name="Synced", cal_id=f"sync-{suffix}")
    calendar.save_event(event(f"server-{suffix}", "20261207T090000Z", "20261207T100000Z", "From the server"))
    cal_url = f"{live_server.url}/dav/calendars/{user}/sync-{suffix}/"
    book_url = f"{live_server.url}/dav/addressbooks/{user}/book-{suffix}/"
    mkcol = (
        '<d:mkcol xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:carddav"><d:set><d:prop><d:resourcetype>'
        "<d:collection/><c:addressbook/></d:resourcetype></d:prop></d:set></d:mkcol>"
    )
    assert dav.request(book_url, "MKCOL", mkcol).status == 201
    assert (
        dav.request(
            book_url + "s.vcf",
            "PUT",
            card(f"s-{suffix}", "Sam Server", "sam@example.org"),
            {"Content-Type": "text/vcard"},
        ).status
        == 201
    )

    local_cal, local_book, status = tmp_path / "cal", tmp_path / "book", tmp_path / "status"
    for folder in (local_cal, local_book):
        folder.mkdir()
    config = tmp_path / "vdirsyncer.conf"
    config.write_text(
        f"""[general]
status_path = "{status}/"

[pair cal]
a = "cal_remote"
b = "cal_local"
collections = null
conflict_resolution = "a wins"

[storage cal_remote]
type = "caldav"
url = "{cal_url}"
username = "{user}"
password = "{PASSWORD}"

[storage cal_local]
type = "filesystem"
path = "{local_cal}/"
fileext = ".ics"

[pair book]
a = "book_remote"
b = "book_local"
collections = null
conflict_resolution = "a wins"

[storage book_remote]
type = "carddav"
url = "{book_url}"
username = "{user}"
password = "{PASSWORD}"

[storage book_local]
type = "filesystem"
path = "{local_book}/"
fileext = ".vcf"
"""
    )
    env = {
        **os.environ,
        "HOME": str(tmp_path),
        "XDG_DATA_HOME": str(tmp_path / "data"),
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
    }
    vds = ["vdirsyncer", "-c", str(config)]
    run([*vds, "discover"], env, stdin="y\ny\n")
    run([*vds, "sync"], env)
    assert any("From the server" in p.read_text() for p in local_cal.glob("*.ics"))
    assert any("Sam Server" in p.read_text() for p in local_book.glob("*.vcf"))
    (local_cal / f"local-{suffix}.ics").write_text(
        event(f"local-{suffix}", "20261208T140000Z", "20261208T150000Z", "From the laptop")
    )
    (local_book / f"l-{suffix}.vcf").write_text(card(f"l-{suffix}", "Lena Local", "lena@example.org"))
    first = run([*vds, "sync"], env)
    assert "Copying (uploading)" in first, first
    on_server = {str(e.icalendar_component["SUMMARY"]) for e in calendar.events()}
    assert on_server == {"From the server", "From the laptop"}
    book = dav.request(book_url + f"l-{suffix}.vcf", "GET")
    assert book.status == 200 and "Lena Local" in book.raw
    second = run([*vds, "sync"], env)
    assert "Copying" not in second and "Updating" not in second and "Deleting" not in second, second

    (tmp_path / "config" / "khal").mkdir(parents=True)
    (tmp_path / "config" / "khal" / "config").write_text(
        f"[calendars]\n[[synced]]\npath = {local_cal}\n\n[locale]\ntimeformat = %H:%M\ndateformat = %Y-%m-%d\n"
        "longdateformat = %Y-%m-%d\ndatetimeformat = %Y-%m-%d %H:%M\nlongdatetimeformat = %Y-%m-%d %H:%M\n"
        "local_timezone = UTC\ndefault_timezone = UTC\n"
    )
    listing = run(["khal", "list", "2026-12-07", "3d"], env)
    assert "From the server" in listing and "From the laptop" in listing, listing
    (tmp_path / "config" / "khard").mkdir(parents=True)
    (tmp_path / "config" / "khard" / "khard.conf").write_text(
        f"[addressbooks]\n[[synced]]\npath = {local_book}\n\n[general]\ndefault_action = list\n"
    )
    cards = run(["khard", "list"], env)
    assert "Sam Server" in cards and "Lena Local" in cards, cards
