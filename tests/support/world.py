"""Fixtures for the outside world of outbound mail: the test DNS (zone ``test.``) and an SMTP sink on
127.0.0.2. Import them into a conftest: ``from tests.support.world import dns_server, sink  # noqa: F401``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.dnsserver import TEST_ZONE, DnsServer
from tests.support.smtpsink import SmtpSink


@pytest.fixture
def dns_server() -> Iterator[DnsServer]:
    with DnsServer({"test.": TEST_ZONE}) as server:
        yield server


@pytest.fixture
def sink() -> Iterator[SmtpSink]:
    """The remote MX of far.test, implicit.test and fallback.test (all on 127.0.0.2)."""
    with SmtpSink() as server:
        yield server


@pytest.fixture(scope="session")
def tls_pair(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    from fieldpost.tls import make_self_signed

    return make_self_signed(tmp_path_factory.mktemp("sink-tls"), "mx.far.test")
