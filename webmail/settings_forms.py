"""The forms of the settings pages (Standard and Mobile share them), and their translation to and from
the view-independent data (storage.preferences, storage.temporary_aliases, filters.user_rules).

Each form is a FlaskForm, so it carries and checks its CSRF token. The checks here are only the shape
of the input (lengths, numbers, choices); the rules themselves are storage's and filters' and come back
as exceptions that ``field_error`` puts next to the field they concern.
"""

from __future__ import annotations

from zoneinfo import available_timezones

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    IntegerField,
    PasswordField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, EqualTo, InputRequired, Length, NumberRange, Optional

from filters.user_rules import Condition, OutOfOffice, Rule
from filters.user_rules.model import LIMITS, MAX_DAYS, MIN_DAYS
from storage.preferences import MAX_SIGNATURE_LENGTH

SKINS = (("classic", _l("Classic")), ("collwater", _l("Collwater")), ("webreflection", _l("Web reflection")))
FIELD_CHOICES = (("from", _l("From")), ("to", _l("To or Cc")), ("subject", _l("Subject")))
OPERATOR_CHOICES = (("contains", _l("contains")), ("not_contains", _l("does not contain")), ("is", _l("is")))
ACTION_CHOICES = (
    ("move", _l("Move to folder")),
    ("copy", _l("Copy to folder")),
    ("forward", _l("Forward to (keep a copy)")),
    ("redirect", _l("Redirect to (keep no copy)")),
    ("delete", _l("Delete")),
    ("flag", _l("Flag")),
)
CONDITION_ROWS = 3  # the wizard shows three condition rows; empty ones are left out
MAX_PASSWORD = 1024


def time_zones() -> list[str]:
    return sorted(available_timezones())


class SignatureForm(FlaskForm):  # type: ignore[misc]  # wtforms ships no type hints
    """The signature of every address without one of its own ("*"): the General tab's field, also on its
    own for the Ajax pane's Signatures tab (which must not check language, skin and time zone)."""

    signature = TextAreaField(_l("Signature"), validators=[Length(max=MAX_SIGNATURE_LENGTH)])


class GeneralForm(SignatureForm):
    language = SelectField(_l("Language"), choices=[])
    skin = SelectField(_l("Skin"), choices=SKINS)
    timezone = SelectField(_l("Time zone"), choices=[])


class OutOfOfficeForm(FlaskForm):  # type: ignore[misc]
    enabled = BooleanField(_l("Send automatic replies"))
    subject = StringField(_l("Subject"), validators=[Length(max=LIMITS["subject"])])
    internal_text = TextAreaField(
        _l("Reply to senders of my organisation"), validators=[Length(max=LIMITS["text"])]
    )
    external_text = TextAreaField(_l("Reply to everyone else"), validators=[Length(max=LIMITS["text"])])
    start = DateField(_l("First day"), validators=[Optional()])
    end = DateField(_l("Last day"), validators=[Optional()])
    days = IntegerField(
        _l("Answer each sender at most once in (days)"),
        default=7,
        validators=[InputRequired(), NumberRange(MIN_DAYS, MAX_DAYS)],
    )
    replace_edited = BooleanField(_l("Keep the changed script as a copy and save mine"))

    def entry(self) -> OutOfOffice:
        return OutOfOffice(
            enabled=bool(self.enabled.data),
            subject=self.subject.data or "",
            internal_text=(self.internal_text.data or "").replace("\r\n", "\n"),
            external_text=(self.external_text.data or "").replace("\r\n", "\n"),
            start=self.start.data,
            end=self.end.data,
            days=int(self.days.data),
        )

    def show(self, entry: OutOfOffice) -> None:
        self.enabled.data = entry.enabled
        self.subject.data = entry.subject
        self.internal_text.data = entry.internal_text
        self.external_text.data = entry.external_text
        self.start.data, self.end.data, self.days.data = entry.start, entry.end, entry.days


class RuleForm(FlaskForm):  # type: ignore[misc]
    """The rules wizard. The choices have defaults so that a shorter form (Mobile's, with one condition
    row and no "apply when") is read as if the missing fields held their first choice."""

    name = StringField(_l("Name"), validators=[Length(max=LIMITS["name"])])
    match_all = SelectField(
        _l("Apply when"),
        choices=(("all", _l("all conditions hold")), ("any", _l("any condition holds"))),
        default="all",
    )
    field_1 = SelectField(_l("Field"), choices=FIELD_CHOICES, default="from")
    operator_1 = SelectField(_l("Comparison"), choices=OPERATOR_CHOICES, default="contains")
    value_1 = StringField(_l("Text"), validators=[DataRequired(), Length(max=LIMITS["value"])])
    field_2 = SelectField(_l("Field"), choices=FIELD_CHOICES, default="from")
    operator_2 = SelectField(_l("Comparison"), choices=OPERATOR_CHOICES, default="contains")
    value_2 = StringField(_l("Text"), validators=[Length(max=LIMITS["value"])])
    field_3 = SelectField(_l("Field"), choices=FIELD_CHOICES, default="from")
    operator_3 = SelectField(_l("Comparison"), choices=OPERATOR_CHOICES, default="contains")
    value_3 = StringField(_l("Text"), validators=[Length(max=LIMITS["value"])])
    action = SelectField(_l("Then"), choices=ACTION_CHOICES)
    folder = SelectField(_l("Folder"), choices=[], validate_choice=False)
    address = StringField(_l("Address"), validators=[Length(max=LIMITS["address"])])
    flag = BooleanField(_l("Also flag the message"))
    stop = BooleanField(_l("Do not apply later rules"))
    enabled = BooleanField(_l("Enabled"), default=True)
    replace_edited = BooleanField(_l("Keep the changed script as a copy and save mine"))

    def rows(self) -> list[tuple[object, object, object]]:
        return [
            (getattr(self, f"field_{n}"), getattr(self, f"operator_{n}"), getattr(self, f"value_{n}"))
            for n in range(1, CONDITION_ROWS + 1)
        ]

    def rule(self) -> Rule:
        conditions = tuple(
            Condition(str(f.data), str(o.data), str(v.data))  # type: ignore[attr-defined]
            for f, o, v in self.rows()
            if (v.data or "").strip()  # type: ignore[attr-defined]
        )
        action = str(self.action.data)
        target = ""
        if action in ("move", "copy"):
            target = str(self.folder.data or "")
        elif action in ("forward", "redirect"):
            target = str(self.address.data or "")
        return Rule(
            name=self.name.data or "",
            conditions=conditions,
            action=action,
            target=target,
            match_all=self.match_all.data != "any",
            flag=bool(self.flag.data),
            stop=bool(self.stop.data),
            enabled=bool(self.enabled.data),
        )

    def show(self, rule: Rule) -> None:
        self.name.data = rule.name
        self.match_all.data = "all" if rule.match_all else "any"
        for (f, o, v), condition in zip(self.rows(), rule.conditions, strict=False):
            f.data, o.data, v.data = condition.field, condition.operator, condition.value  # type: ignore[attr-defined]
        self.action.data = rule.action
        if rule.action in ("move", "copy"):
            self.folder.data = rule.target
        elif rule.action in ("forward", "redirect"):
            self.address.data = rule.target
        self.flag.data, self.stop.data, self.enabled.data = rule.flag, rule.stop, rule.enabled


class SendersForm(FlaskForm):  # type: ignore[misc]
    blocked = TextAreaField(_l("Blocked senders"), validators=[Length(max=400_000)])
    safe = TextAreaField(_l("Safe senders"), validators=[Length(max=400_000)])


class AliasForm(FlaskForm):  # type: ignore[misc]
    local_part = StringField(_l("Name before the @ (empty: a random one)"), validators=[Length(max=64)])
    days = IntegerField(_l("Valid for (days)"), validators=[InputRequired(), NumberRange(min=1)])


class PasswordForm(FlaskForm):  # type: ignore[misc]
    current = PasswordField(_l("Current password"), validators=[DataRequired(), Length(max=MAX_PASSWORD)])
    new = PasswordField(_l("New password"), validators=[DataRequired(), Length(max=MAX_PASSWORD)])
    confirm = PasswordField(
        _l("New password again"),
        validators=[DataRequired(), EqualTo("new", message=_l("The two new passwords differ."))],
    )


class ActionForm(FlaskForm):  # type: ignore[misc]
    """A button that changes something (delete, move up, activate): the CSRF token and nothing else."""


def lines(text: str | None) -> list[str]:
    """Entries typed one per line (commas and spaces also separate them)."""
    return [part for line in (text or "").splitlines() for part in line.replace(",", " ").split()]
