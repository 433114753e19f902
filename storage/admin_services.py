"""The services of the server as an administrator may see and steer them (``view.services``).

Starting, stopping and restarting a service is the supervisor's work (its control socket, through
:mod:`fieldpost.control_client`); what is decided here, in storage like every other administrator
operation, is whether this administrator may: a server administrator, or one holding the "services"
server permission. The check runs in its own short transaction and the request to the supervisor after it,
so no transaction is held while a service takes its time to stop (up to its grace period).

Used by WebAdmin's services page and the CLI service alike, so both refuse the same people the same way.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from fieldpost import control_client
from fieldpost.config import Config
from storage.errors import InvalidInput

if TYPE_CHECKING:
    from storage.adminview import AdminView

ACTIONS = ("start", "stop", "restart")


class AdminServices:
    """Service status and control for an administrator with the "services" permission."""

    def __init__(self, view: AdminView) -> None:
        self.view = view

    def check(self) -> None:
        """Raises PermissionDenied unless this administrator may see and steer services."""
        with self.view.acting() as scope:
            scope.require("services")

    def status(self, config: Config) -> dict[str, Any]:
        """The supervisor's status reply (``services``: name -> state, pid, restarts, listeners...).

        Raises:
            PermissionDenied: see :meth:`check`.
            fieldpost.control_client.ControlError: the supervisor is not running or did not answer.
        """
        self.check()
        return control_client.request(config, "status")

    def control(self, config: Config, action: str, service: str) -> dict[str, Any]:
        """``start``, ``stop`` or ``restart`` one service; returns its state after the change.

        Raises:
            InvalidInput: an unknown action, or a service this server does not run.
            PermissionDenied: see :meth:`check`.
            fieldpost.control_client.ControlError: the supervisor is not running or refused.
        """
        if action not in ACTIONS:
            raise InvalidInput(f"unknown action {action[:20]!r}: one of {', '.join(ACTIONS)}")
        if service not in config.services:
            raise InvalidInput(f"unknown service {service[:40]!r}: one of {', '.join(config.services)}")
        self.check()
        reply = control_client.request(config, action, service)
        state = reply.get("service", {})
        return state if isinstance(state, dict) else {}
