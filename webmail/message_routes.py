"""The reader's routes, added to the Standard (``/mail``) and Mobile (``/m``) blueprints alike.

One function, :func:`add_reader_routes`, registers on a blueprint the message page, the body document
of the sandboxed frame, attachment download, inline image, raw source, print view, "always show images
from this sender" and the read-receipt answer. The two interfaces differ only in their templates and in
how HTML is shown (``inline_html``):

* Standard shows an HTML body in ``<iframe sandbox>`` whose document comes from ``.../body/<section>``
  with its own CSP (webmail/reading/policy.py);
* Mobile (and the print view) put the sanitised HTML into the page itself, under the page's CSP: no
  script at all (``script-src 'self'``, no inline), no inline style (so the message's styles are
  dropped, which suits a narrow screen), images only from ``data:`` (and ``http:``/``https:`` when the
  user allowed remote images for the message). Small phones' browsers handle a frame of fixed height
  badly; the sanitiser plus a script-free CSP is as strict as the frame. docs/webmail-reading.md.

Every read goes through ``user_mail()`` (the ACL engine): another user's message is 404, as is a UID
not in the folder; opening a message marks it \\Seen (only with the "s" right; usermail decides).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from storage.errors import InvalidInput, PermissionDenied
from storage.mime import Part, decode_header_text
from webmail.binding import current_store, current_user_account, user_mail
from webmail.meeting_routes import add_meeting_routes, invitation_for
from webmail.reader_actions import add_trusted_sender, reader_options, send_read_receipt
from webmail.reading import (
    IFRAME_SANDBOX,
    INLINE_IMAGE_TYPES,
    ReadOptions,
    body_document,
    body_headers,
    body_section,
    build_view,
    download_headers,
    find_part,
    inline_image_headers,
    open_message,
    safe_filename,
)
from webmail.reading.parts import declared_filename
from webmail.reading.sanitise import as_xhtml
from webmail.security import CONTENT_SECURITY_POLICY

#: Most messages one print view shows.
MAX_PRINTED = 50


def _page_csp_with_remote_images() -> str:
    return CONTENT_SECURITY_POLICY.replace("img-src 'self' data:", "img-src 'self' data: http: https:")


def _attachment(folder_id: int, uid: int, section: str) -> tuple[Part, str]:
    """The leaf part ``section`` of a message the user may read, and the safe name it is served under
    (the same name the reader lists)."""
    stored = open_message(user_mail(), folder_id, uid)
    part = find_part(stored.root, section)
    if part is None or part.maintype == "multipart":
        abort(404)
    return part, safe_filename(declared_filename(part), f"part-{section}")


def add_reader_routes(bp: Blueprint, *, inline_html: bool) -> None:
    """Register the reader on ``bp`` (see the module docstring); templates are ``<bp.name>/message.html``
    and ``layout/print.html``."""
    name = bp.name
    add_meeting_routes(bp)

    @bp.route("/folder/<int:folder_id>/<int:uid>")
    def message(folder_id: int, uid: int) -> Any:
        stored = open_message(user_mail(), folder_id, uid)
        options = reader_options(stored, request.args)
        view = build_view(stored, options)
        if inline_html:  # Mobile pages are XHTML
            view = replace(view, sections=tuple(replace(s, html=as_xhtml(s.html)) for s in view.sections))
        stored.mark_seen()
        page = render_template(
            f"{name}/message.html",
            view=view,
            folder_id=folder_id,
            options=options,
            sandbox=IFRAME_SANDBOX,
            inline_html=inline_html,
            invitation=invitation_for(stored),
        )
        response = Response(page)
        if inline_html and options.remote_images:
            response.headers["Content-Security-Policy"] = _page_csp_with_remote_images()
        return response

    @bp.route("/folder/<int:folder_id>/<int:uid>/body/<section>")
    def message_body(folder_id: int, uid: int, section: str) -> Any:
        stored = open_message(user_mail(), folder_id, uid)
        options = replace(reader_options(stored, request.args), frame=True)
        found = body_section(stored, section, options)
        if found is None:
            abort(404)
        title = decode_header_text(stored.envelope.subject)
        document = body_document(found.html, title=title, stylesheet=found.stylesheet)
        return Response(document, headers=body_headers(remote_images=options.remote_images))

    @bp.route("/folder/<int:folder_id>/<int:uid>/part/<section>")
    def message_part(folder_id: int, uid: int, section: str) -> Any:
        part, filename = _attachment(folder_id, uid, section)
        _, chunks = user_mail().view.part(folder_id, uid, section)  # streamed from the blob
        kind = f"{part.maintype}/{part.subtype}"
        return Response(chunks, headers=download_headers(kind, filename))

    @bp.route("/folder/<int:folder_id>/<int:uid>/image/<section>")
    def message_image(folder_id: int, uid: int, section: str) -> Any:
        part, filename = _attachment(folder_id, uid, section)
        kind = f"{part.maintype}/{part.subtype}"
        if kind not in INLINE_IMAGE_TYPES:
            abort(404)
        _, chunks = user_mail().view.part(folder_id, uid, section)
        return Response(chunks, headers=inline_image_headers(kind, filename))

    @bp.route("/folder/<int:folder_id>/<int:uid>/raw")
    def message_raw(folder_id: int, uid: int) -> Any:
        stored = open_message(user_mail(), folder_id, uid)
        raw = stored.raw()
        if request.args.get("download"):
            headers = download_headers("message/rfc822", f"message-{uid}.eml")
            return Response(raw, headers=headers)
        headers = download_headers("text/plain", f"message-{uid}.txt")
        headers["Content-Disposition"] = headers["Content-Disposition"].replace("attachment", "inline", 1)
        return Response(raw.decode("utf-8", "replace"), headers=headers)

    @bp.route("/folder/<int:folder_id>/print", methods=["GET", "POST"])
    def print_messages(folder_id: int) -> Any:
        """``?uid=1&uid=2`` (a link) or the message list's checked ``uid`` boxes (its form, POST)."""
        uids = [int(u) for u in request.values.getlist("uid") if u.isdigit()][:MAX_PRINTED]
        if not uids:
            abort(404)
        mail = user_mail()
        images = request.values.get("images") == "1"
        views = [
            build_view(open_message(mail, folder_id, uid), ReadOptions(remote_images=images)) for uid in uids
        ]
        views = [
            replace(v, sections=tuple(replace(s, html=as_xhtml(s.html)) for s in v.sections)) for v in views
        ]
        response = Response(render_template("layout/print.html", views=views))
        if images:
            response.headers["Content-Security-Policy"] = _page_csp_with_remote_images()
        return response

    @bp.route("/folder/<int:folder_id>/<int:uid>/trust-sender", methods=["POST"])
    def message_trust(folder_id: int, uid: int) -> Any:
        stored = open_message(user_mail(), folder_id, uid)
        address = add_trusted_sender(current_store(), current_user_account().address, stored)
        flash(_("Images from %(address)s will always be shown.", address=address), "info")
        return redirect(url_for(f"{name}.message", folder_id=folder_id, uid=uid))

    @bp.route("/folder/<int:folder_id>/<int:uid>/receipt", methods=["POST"])
    def message_receipt(folder_id: int, uid: int) -> Any:
        stored = open_message(user_mail(), folder_id, uid)
        send = request.form.get("action") == "send"
        try:
            sent = send_read_receipt(stored, send=send)
        except (InvalidInput, PermissionDenied) as exc:
            flash(str(exc), "error")
        else:
            if sent:
                flash(_("The read receipt was sent."), "info")
        return redirect(url_for(f"{name}.message", folder_id=folder_id, uid=uid))
