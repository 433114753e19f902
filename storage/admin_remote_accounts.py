"""Remote mailboxes as an administrator reaches them (``store.for_admin(name).remote_accounts``): those
of an account in their domains, with the domain permission "accounts". The same rules and limits as the
owner's door (storage.remote_accounts); an account outside the administrator's domains is ``NotFound``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from storage.remote_accounts import AccountRemotes, RemoteAccount, RemoteSpec

if TYPE_CHECKING:
    from storage.adminview import AdminView


class AdminRemoteAccounts:
    def __init__(self, view: AdminView) -> None:
        self.view = view
        self.store = view.store

    def _of(self, address: str) -> AccountRemotes:
        # called inside acting(), after the scope check: both share one transaction
        return self.store.remote_accounts.for_account(self.store.accounts.get(address).id)

    def list(self, address: str) -> list[RemoteAccount]:
        with self.view.acting() as scope, self.store.db.read() as conn:
            scope.address(self.store, conn, address)
            return self._of(address).list()

    def add(self, address: str, spec: RemoteSpec) -> RemoteAccount:
        with self.view.acting() as scope, self.store.db.read() as conn:
            scope.address(self.store, conn, address, right="accounts")
            return self._of(address).add(spec)

    def change(self, address: str, remote_id: int, spec: RemoteSpec) -> RemoteAccount:
        """Change one of the account's remote mailboxes (``spec.password`` None or empty keeps the stored
        one); the rules and limits of :meth:`add`, NotFound for another account's mailbox."""
        with self.view.acting() as scope, self.store.db.read() as conn:
            scope.address(self.store, conn, address, right="accounts")
            return self._of(address).change(remote_id, spec)

    def delete(self, address: str, remote_id: int) -> None:
        with self.view.acting() as scope, self.store.db.read() as conn:
            scope.address(self.store, conn, address, right="accounts")
            self._of(address).delete(remote_id)

    def fetch_now(self, address: str, remote_id: int) -> None:
        with self.view.acting() as scope, self.store.db.read() as conn:
            scope.address(self.store, conn, address, right="accounts")
            self._of(address).fetch_now(remote_id)
