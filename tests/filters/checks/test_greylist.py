"""The greylisting check over a real (SQLite) store with an injected clock: the reply, the retry delay,
client networks, exemptions, auto-whitelisting, a broken store, and the processing service's periodic
pruning job."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

import filters.checks as checks
from filters.checks import Env, Facts, greylist
from sidecars.processing.schedule import housekeeping_jobs, run_due
from storage import open_store
from storage.store import Store
from tests.fieldpost.conftest import run_cli
from tests.support.service import init_demo

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    st = open_store(f"sqlite:///{tmp_path / 'db.sqlite3'}", tmp_path / "blobs")
    yield st
    st.close()


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def clock() -> Clock:
    return Clock()


def env(store: Store, clock: Clock, **settings: Any) -> Env:
    values: dict[str, Any] = {"greylist.enabled": True, "greylist.delay_seconds": 300}
    values.update({k.replace("__", "."): v for k, v in settings.items()})
    return Env(store=store, settings=values, now=clock)


def rcpt(ip: str = "192.0.2.10", sender: str = "a@far.test", recipient: str = "alice@example.test") -> Facts:
    return Facts(ip=ip, helo="mx.far.test", sender=sender, recipient=recipient)


def test_first_attempt_early_retry_and_retry_after_the_delay(store: Store, clock: Clock) -> None:
    e = env(store, clock)
    first = greylist.check(rcpt(), e)
    assert first is not None
    assert (first.action, first.code, first.status, first.text) == (
        "tempfail",
        451,
        "4.7.1",
        "Temporary rejected by greylisting",
    )
    clock.advance(seconds=299)
    assert greylist.check(rcpt(), e) == first
    clock.advance(seconds=1)
    assert greylist.check(rcpt(), e) is None
    clock.advance(days=3)
    assert greylist.check(rcpt(), e) is None  # remembered


def test_a_farm_retrying_from_another_address_of_its_network_passes(store: Store, clock: Clock) -> None:
    e = env(store, clock)
    assert greylist.check(rcpt("192.0.2.10"), e) is not None
    assert greylist.check(rcpt("2001:db8:1:2::10"), e) is not None
    clock.advance(minutes=6)
    assert greylist.check(rcpt("192.0.2.200"), e) is None  # same /24
    assert greylist.check(rcpt("::ffff:192.0.2.201"), e) is None  # the same, IPv4-mapped
    assert greylist.check(rcpt("192.0.3.10"), e) is not None  # another /24: a new triplet
    assert greylist.check(rcpt("2001:db8:1:2:ffff::1"), e) is None  # same /64
    narrow = env(store, clock, greylist__ipv4_prefix=32)
    assert greylist.check(rcpt("192.0.2.11"), narrow) is not None


def test_exemptions(store: Store, clock: Clock) -> None:
    e = env(
        store,
        clock,
        greylist__exempt_networks=["198.51.100.0/24", "not-a-network"],
        greylist__exempt_senders=["*@lists.far.test", "partner.test"],
        greylist__exempt_recipients=["postmaster@*"],
    )
    assert greylist.check(rcpt("198.51.100.7"), e) is None
    assert greylist.check(rcpt(sender="news@lists.far.test"), e) is None
    assert greylist.check(rcpt(sender="Boss@Partner.TEST"), e) is None
    assert greylist.check(rcpt(recipient="postmaster@example.test"), e) is None
    assert greylist.check(rcpt(sender="boss@notpartner.test"), e) is not None
    assert greylist.check(rcpt(sender=""), e) is not None  # the null sender is greylisted like others


def test_off_by_default_and_without_a_recipient(store: Store, clock: Clock) -> None:
    assert greylist.check(rcpt(), Env(store=store, settings={}, now=clock)) is None
    assert greylist.check(Facts(ip="192.0.2.10", sender="a@far.test"), env(store, clock)) is None


def test_a_network_that_passed_enough_is_whitelisted(store: Store, clock: Clock) -> None:
    e = env(store, clock, greylist__auto_whitelist_passes=2)
    for sender in ("one@far.test", "two@far.test"):
        assert greylist.check(rcpt(sender=sender), e) is not None
        clock.advance(minutes=6)
        assert greylist.check(rcpt(sender=sender), e) is None
    assert (
        greylist.check(rcpt("192.0.2.99", sender="three@far.test", recipient="bob@example.test"), e) is None
    )
    assert greylist.check(rcpt("203.0.113.5", sender="three@far.test"), e) is not None


def test_registry_run_trusted_clients_and_a_broken_store(store: Store, clock: Clock) -> None:
    e = env(store, clock)
    assert [v.code for v in checks.run("onRcptTo", rcpt(), e)] == [451]
    assert (
        checks.run(
            "onRcptTo", Facts(ip="192.0.2.10", sender="x@far.test", recipient="a@b.test", trusted=True), e
        )
        == []
    )
    # a store that fails: logged, and the mail is not greylisted
    broken = Env(store=None, settings={"greylist.enabled": True}, now=clock)
    assert checks.run("onRcptTo", rcpt(sender="new@far.test"), broken) == []


def test_the_processing_service_prunes_expired_rows_periodically(store: Store, clock: Clock) -> None:
    store.settings.set("greylist.retry_window_seconds", 3600)
    e = env(store, clock, greylist__retry_window_seconds=3600)
    greylist.check(rcpt(sender="stale@far.test"), e)
    clock.advance(minutes=30)
    greylist.check(rcpt(sender="fresh@far.test"), e)
    policy = greylist.policy_from({name: store.settings.get(name) for name in greylist.POLICY_SETTINGS})
    assert store.greylist.stats(policy, now=clock.now).pending == 2
    jobs = housekeeping_jobs()
    log = logging.getLogger("test.processing")
    clock.advance(minutes=31)  # the first triplet is past the hour, the second is not
    assert "greylist prune" in run_due(jobs, store, clock.now, log)
    assert store.greylist.stats(policy, now=T0).pending == 1  # counted as of T0: only the fresh one is left
    clock.advance(minutes=59)
    assert "greylist prune" not in run_due(jobs, store, clock.now, log)  # not due again within the hour
    assert store.greylist.stats(policy, now=T0).pending == 1
    clock.advance(minutes=1)
    assert "greylist prune" in run_due(jobs, store, clock.now, log)
    assert store.greylist.stats(policy, now=T0).pending == 0


def test_the_cli_reports_greylisting_and_reads_the_dnsbl_zones(tmp_path: Path) -> None:
    """``fieldpost filters greylist stats`` and ``dnsbl lookup`` read the server's settings."""
    data = tmp_path / "data"
    init_demo(data, "mx.example.test")
    stats = run_cli("filters", "greylist", "stats", "--data", str(data), check=True)
    assert stats.stdout.splitlines()[:2] == ["greylisting: off", "pending triplets: 0"]
    no_zones = run_cli("filters", "dnsbl", "lookup", "192.0.2.1", "--data", str(data))
    assert (no_zones.returncode, no_zones.stderr) == (
        1,
        "fieldpost: error: no DNS block lists are configured (setting dnsbl.zones)\n",
    )
    run_cli("settings", "set", "greylist.enabled", "true", "--data", str(data), check=True)
    assert run_cli("filters", "greylist", "stats", "--data", str(data), check=True).stdout.startswith(
        "greylisting: on\n"
    )
