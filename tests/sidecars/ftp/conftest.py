"""A real FTP backup service (``python -m sidecars.ftp``) over a demo data directory, and ftplib clients."""

from __future__ import annotations

import ftplib
import shutil
import ssl
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from fieldpost import config as configuration
from storage import open_store
from storage.store import Store
from tests.support.service import init_demo, running

ADMIN, ADMIN_PW = "admin", "adminpass1"
FTP_PORT = 2121


@pytest.fixture(scope="session")
def ftp_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data = tmp_path_factory.mktemp("ftp-template") / "data"
    init_demo(data, "mail.example.test")
    return data


def copy_data(template: Path, where: Path) -> Path:
    data = where / "data"
    shutil.copytree(template, data, ignore=shutil.ignore_patterns("run", "*.log"))
    return data


@pytest.fixture
def ftp_data(ftp_template: Path, tmp_path: Path) -> Path:
    return copy_data(ftp_template, tmp_path)


@pytest.fixture
def ftp_port(ftp_data: Path) -> Iterator[int]:
    with running("sidecars.ftp", "ftp", ftp_data) as (offset, _proc):
        yield FTP_PORT + offset


@contextmanager
def store_of(data: Path) -> Iterator[Store]:
    """The store of a data directory, opened in the test process (the service sees its changes)."""
    config = configuration.load(data)
    st = open_store(config.database_url, config.blob_dir)
    try:
        yield st
    finally:
        st.close()


def client_context() -> ssl.SSLContext:
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


Connect = Callable[..., ftplib.FTP_TLS]


@pytest.fixture
def connect(ftp_port: int) -> Iterator[Connect]:
    """``connect()``: a logged-in FTP_TLS client with protected data connections."""
    opened: list[ftplib.FTP] = []

    def make(user: str = ADMIN, password: str = ADMIN_PW, *, login: bool = True) -> ftplib.FTP_TLS:
        ftp = ftplib.FTP_TLS(context=client_context(), timeout=30)
        ftp.connect("127.0.0.1", ftp_port)
        opened.append(ftp)
        if login:
            ftp.login(user, password)
            ftp.prot_p()
        return ftp

    yield make
    for ftp in opened:
        try:
            ftp.quit()
        except (ftplib.Error, OSError, EOFError):
            ftp.close()
