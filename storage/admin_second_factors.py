"""Two-step sign-in as an administrator reaches it: their own factor, and resetting an account's or
another administrator's (a user who lost their phone and their recovery codes). Resetting an account's needs the domain
permission "accounts" (the one that sets its password).

``store.for_admin(name).second_factors``. Every method decides the scope in its own transaction
(storage/adminscope.py): an account outside the administrator's domains is ``NotFound``, exactly like one
that does not exist; another administrator's factor is the server administrator's business only.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from storage.second_factor import FactorState, SecondFactor

if TYPE_CHECKING:
    from storage.adminview import AdminView


class AdminSecondFactors:
    def __init__(self, view: AdminView) -> None:
        self.view = view
        self.store = view.store

    def mine(self) -> SecondFactor:
        """The signed-in administrator's own factor (enrol, confirm, verify, disable).

        Raises:
            PermissionDenied: the administrator no longer exists.
        """
        with self.view.acting():
            return self.store.second_factors.for_admin(self.view.admin)

    def account_state(self, address: str) -> FactorState:
        """Whether the account uses two-step sign-in, and how many recovery codes it has left."""
        with self.view.acting() as scope, self.store.db.read() as conn:
            scope.address(self.store, conn, address)
            account = self.store.accounts.get(address)
            return self.store.second_factors.for_account(account.id).state()

    def reset_account(self, address: str) -> bool:
        """Turn the account's two-step sign-in off without a code (its app passwords go too); the user
        signs in with the password alone and may set it up again. True if there was one."""
        with self.view.acting() as scope, self.store.db.read() as conn:
            scope.address(self.store, conn, address, right="accounts")
            account = self.store.accounts.get(address)
            return self.store.second_factors.for_account(account.id).reset()

    def reset_admin(self, name: str) -> bool:
        """Turn another administrator's two-step sign-in off (server administrators only)."""
        with self.view.acting() as scope:
            scope.require_server()
            return self.store.second_factors.for_admin(name).reset()
