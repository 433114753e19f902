"""Import and export of an account's mail folders (what ``fieldpost import mbox|maildir`` and ``fieldpost
export mbox`` do): upload an mbox file (or a Maildir zipped: webadmin/maildir_upload.py) into a folder,
download a folder as an mbox file.

Both need the domain permission "backup" (storage.admin_mailboxes checks it for every message put and
every page read). The upload is bounded by WebAdmin's request limit (16 MiB, docs/webadmin.md); larger
files go through ``fieldpost import mbox`` on the server. The download is streamed, message by message,
so a folder of any size costs one message of memory.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Iterator
from io import BytesIO
from pathlib import Path
from typing import Any

from flask import Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import StringField
from wtforms.validators import Length

from fieldpost import mailfiles
from storage.errors import InvalidInput, QuotaExceeded
from storage.names import folder_path
from webadmin import maildir_upload
from webadmin.binding import admin_view
from webadmin.maildir_upload import ArchiveProblem
from webadmin.pages import bp

UPLOAD_LIMIT_TEXT = "16 MiB"  # WebAdmin's MAX_CONTENT_LENGTH (webadmin/__init__.py)


class ImportForm(FlaskForm):  # type: ignore[misc]  # wtforms ships no type hints
    file = FileField(_l("mbox file, or a Maildir as a zip archive"), validators=[FileRequired()])
    folder = StringField(
        _l("Into folder"),
        default="INBOX",
        validators=[Length(max=1000)],
        description=_l("Created if it does not exist; use / between levels: Archive/2024."),
    )


def render_mailbox(address: str, form: ImportForm | None = None, status: int = 200) -> Any:
    view = admin_view()
    account = view.account(address)  # NotFound (404) outside the reach
    return render_template(
        "account_mailbox.html",
        account=account,
        folders=view.mailboxes.mail_folders(account.address),
        form=form or ImportForm(formdata=None),
        upload_limit=UPLOAD_LIMIT_TEXT,
    ), status


@bp.get("/accounts/<address>/mailbox")
def account_mailbox(address: str) -> Any:
    return render_mailbox(address)


def _messages_in(upload: Path, unpack_into: Path) -> Iterator[mailfiles.MailFile]:
    """The messages of an uploaded mbox file, or of a zipped Maildir (its Maildir++ subfolders become
    subfolders of the target)."""
    if maildir_upload.is_zip(upload):
        unpack_into.mkdir()
        return mailfiles.read_maildir(maildir_upload.unpack_maildir(upload, unpack_into))
    return mailfiles.read_mbox(upload)


@bp.post("/accounts/<address>/mailbox/import")
def account_mailbox_import(address: str) -> Any:
    form = ImportForm()
    if not form.validate_on_submit():
        return render_mailbox(address, form, 400)
    view = admin_view()
    view.mailboxes.check_backup(address)  # 403 / 404 before the upload is read
    try:
        folder = folder_path((form.folder.data or "").strip() or "INBOX")
    except InvalidInput as exc:
        form.folder.errors = [str(exc)]
        return render_mailbox(address, form, 400)
    count = 0
    with tempfile.TemporaryDirectory(prefix="fieldpost-import-") as tmp:
        path = Path(tmp) / "upload"
        form.file.data.save(path)
        try:
            for message in _messages_in(path, Path(tmp) / "maildir"):
                target = f"{folder}/{message.folder}" if message.folder else folder
                view.mailboxes.import_message(
                    address, target, message.raw, message.flags, message.internal_date
                )
                count += 1
        except ArchiveProblem as exc:
            form.file.errors = [str(exc)]
            return render_mailbox(address, form, 400)
        except ValueError as exc:  # not an mbox file (InvalidInput is a ValueError too)
            if count:
                flash(_("%(count)d message(s) imported into %(folder)s.", count=count, folder=folder), "info")
            problem = (
                str(exc)
                if isinstance(exc, InvalidInput)
                else _("This is neither an mbox file nor a zip archive of a Maildir.")
            )
            form.file.errors = [_("Message %(number)d: %(problem)s", number=count + 1, problem=problem)]
            return render_mailbox(address, form, 400)
        except QuotaExceeded as exc:
            form.file.errors = [
                _(
                    "%(count)d message(s) imported, then the account's quota was reached: %(problem)s",
                    count=count,
                    problem=str(exc),
                )
            ]
            return render_mailbox(address, form, 400)
    if count == 0:
        form.file.errors = [_("The file holds no messages.")]
        return render_mailbox(address, form, 400)
    flash(_("%(count)d message(s) imported into %(folder)s.", count=count, folder=folder), "success")
    return redirect(url_for("pages.account_mailbox", address=address))


@bp.get("/accounts/<address>/mailbox/export")
def account_mailbox_export(address: str) -> Any:
    folder = request.args.get("folder", "").strip()
    admin_view().account(address)  # another tenant's account: 404 whatever else is asked
    if not folder:
        raise InvalidInput(_("Name the folder to download."))
    messages = admin_view().mailboxes.export(address, folder)  # checked before the answer starts

    def mbox() -> Iterator[bytes]:
        for raw, internal_date, flags in messages:
            out = BytesIO()
            mailfiles.write_mbox_message(out, raw, internal_date, flags)
            yield out.getvalue()

    name = re.sub(r"[^A-Za-z0-9._@-]+", "_", f"{address}-{folder}") + ".mbox"
    return Response(
        mbox(),
        mimetype="application/mbox",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
