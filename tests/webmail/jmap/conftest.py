"""Fixtures of the JMAP tests: the WebMail app's test client speaking JMAP.

``jmap.call(calls, user=..., using=...)`` posts one Request with HTTP Basic credentials over https (the
test client's ``https://`` base URL, so the TLS rule of webmail/jmap/auth.py is met) and returns the
Response object; ``jmap.post(body, ...)`` sends raw bytes and returns the HTTP response.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from typing import Any

import pytest
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from tests.webmail.conftest import Seeded

CORE = "urn:ietf:params:jmap:core"
MAIL = "urn:ietf:params:jmap:mail"
HTTPS = "https://mail.example.test"


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


@dataclass
class Jmap:
    client: FlaskClient
    seeded: Seeded

    def headers(self, user: str, password: str | None) -> dict[str, str]:
        address = user if "@" in user else f"{user}@example.test"
        return {"Authorization": basic(address, password if password is not None else f"pass-{user}")}

    def post(
        self,
        body: bytes | str,
        *,
        user: str = "alice",
        password: str | None = None,
        content_type: str = "application/json",
        path: str = "/jmap/api",
    ) -> TestResponse:
        data = body.encode() if isinstance(body, str) else body
        return self.client.post(
            path,
            data=data,
            headers={**self.headers(user, password), "Content-Type": content_type},
            base_url=HTTPS,
        )

    def get(self, path: str, *, user: str = "alice", password: str | None = None) -> TestResponse:
        return self.client.get(path, headers=self.headers(user, password), base_url=HTTPS)

    def call(
        self,
        calls: list[list[Any]],
        *,
        user: str = "alice",
        using: tuple[str, ...] = (CORE,),
        created_ids: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        request: dict[str, Any] = {"using": list(using), "methodCalls": calls}
        if created_ids is not None:
            request["createdIds"] = created_ids
        answer = self.post(json.dumps(request), user=user)
        assert answer.status_code == 200, answer.get_data(as_text=True)
        assert answer.mimetype == "application/json"
        body: dict[str, Any] = answer.get_json()
        return body

    def account_id(self, user: str = "alice") -> str:
        return f"a{getattr(self.seeded, user).id}"


@pytest.fixture
def jmap(client: FlaskClient, seeded: Seeded) -> Jmap:
    return Jmap(client, seeded)
