"""Helpers of the calendar page tests: post the event form as a browser does, find alice's calendar."""

from __future__ import annotations

from typing import Any

from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from tests.webmail.conftest import Seeded, csrf_token


def own_calendar(seeded: Seeded, account_id: int | None = None) -> int:
    """The folder id of the account's first own calendar (alice's by default)."""
    organizer = seeded.store.for_user(account_id or seeded.alice.id).organizer
    return next(c.folder_id for c in organizer.collections("calendar") if not c.shared and not c.public)


def post_event(client: FlaskClient, url: str, fields: dict[str, Any]) -> TestResponse:
    """GET the form at ``url`` (for its CSRF token), then POST ``fields`` to it."""
    token = csrf_token(client.get(url))
    return client.post(url, data={"csrf_token": token, **fields})


def weekly_standup(folder_id: int, **changes: Any) -> dict[str, Any]:
    """A weekly event on Monday and Wednesday at 09:30 (UTC), six times, from Monday 7 Dec 2026."""
    return {
        "folder": str(folder_id),
        "summary": "Standup",
        "location": "Room 1",
        "start_date": "2026-12-07",
        "start_time": "09:30",
        "end_time": "09:45",
        "timezone": "UTC",
        "repeat": "weekly",
        "weekday": ["MO", "WE"],
        "interval": "1",
        "ends": "count",
        "count": "6",
        "reminder": "15",
        "categories": "Work",
        **changes,
    }
