"""Functions every page template may call (Jinja globals), computed only when a template asks."""

from __future__ import annotations

from flask import Flask
from flask_babel import get_locale

from webmail.binding import current_user_account, user_mail
from webmail.folder_tree import FolderSection, role_label
from webmail.folder_tree import folder_sections as sections_of
from webmail.user_settings import user_settings


def folder_sections() -> list[FolderSection]:
    """The signed-in user's folder tree (the sidebar)."""
    return sections_of(user_mail(), current_user_account())


def interfaces() -> tuple[str, ...]:
    """Interfaces the user may switch to."""
    return user_settings().interfaces


def text_direction() -> str:
    """ "rtl" for right-to-left languages, else "ltr" (the page's ``dir``)."""
    locale = get_locale()
    return "rtl" if locale is not None and locale.text_direction == "rtl" else "ltr"


def init_app(app: Flask) -> None:
    app.jinja_env.globals.update(
        folder_sections=folder_sections,
        interfaces=interfaces,
        text_direction=text_direction,
        get_locale=get_locale,
    )
    app.jinja_env.filters["folder_label"] = role_label
