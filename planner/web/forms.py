"""Small helpers shared by the HTML forms of every blueprint."""

from __future__ import annotations

from flask import flash
from flask_wtf import FlaskForm
from wtforms import Field

from planner.services.errors import ServiceError


def field_text(field: Field) -> str:
    """A text field's value ("" when empty or not text)."""
    data = field.data
    return data if isinstance(data, str) else ""


def add_error(field: Field, message: str) -> None:
    """Show ``message`` beside ``field``."""
    field.errors = [*field.errors, message]


def attach_error(form: FlaskForm, error: ServiceError) -> None:
    """Show a service error beside the field it names, or as a message at the top."""
    field = getattr(form, error.field or "", None)
    if isinstance(field, Field):
        add_error(field, error.message)
    else:
        flash(error.message, "error")
