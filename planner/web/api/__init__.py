"""The JSON API under ``/api/v1``: everything the pages do, for scripts and apps.

Authentication: a personal API token (``Authorization: Bearer cp_...``) or the browser
session; a session request that changes something must carry the CSRF token in the
``X-CSRFToken`` header. Request bodies are JSON validated by pydantic models, which also
generate ``/api/v1/openapi.json``. Errors are ``{"error": {"status", "message", "field"}}``.
"""

from __future__ import annotations

import functools
import inspect
import json
from collections.abc import Callable
from typing import Any

from flask import Blueprint, Response, current_app, g, jsonify, request
from flask_login import current_user
from pydantic import BaseModel, ValidationError

from planner.services import api_tokens
from planner.services.errors import (
    Invalid,
    ServiceError,
    TooLarge,
    Unauthorized,
    UnsupportedType,
)
from planner.web.api.spec import Handler, Operation, openapi_document
from planner.web.clock import now
from planner.web.config import current_config
from planner.web.db import db

VERSION = "1.0.0"
MAX_JSON_BYTES = 64 * 1024
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

bp = Blueprint("api", __name__, url_prefix="/api/v1")
OPERATIONS: list[Operation] = []


def field_name(error: ValidationError) -> tuple[str, str]:
    """The dotted name of the first invalid field and a message that names it."""
    first = error.errors()[0]
    name = ".".join(str(part) for part in first["loc"]) or "body"
    return name, f"{name}: {first['msg']}"


def _authenticate(op: Operation) -> int | None:
    header = request.headers.get("Authorization", "")
    if header[:7].lower() == "bearer ":
        user_id = api_tokens.user_for_token(db(), header[7:].strip(), now=now())
        if user_id is None:
            raise Unauthorized("That API token is not valid (it may have been revoked).")
        return user_id
    if current_user.is_authenticated:
        if request.method not in SAFE_METHODS and current_app.config.get("WTF_CSRF_ENABLED", True):
            current_app.extensions["csrf"].protect()
        return int(current_user.id)
    if op.auth:
        raise Unauthorized("Sign in, or send a personal API token: Authorization: Bearer cp_...")
    return None


def _required_fields(model: type[BaseModel]) -> list[str]:
    return [name for name, info in model.model_fields.items() if info.is_required()]


def _json_body(model: type[BaseModel]) -> BaseModel:
    if not request.get_data(cache=True).strip() and not _required_fields(model):
        return model.model_validate({})  # no body at all means "all defaults"
    if not request.mimetype or request.mimetype != "application/json":
        raise UnsupportedType("Send the body as JSON with Content-Type: application/json.")
    data = request.get_data(cache=True)
    if len(data) > MAX_JSON_BYTES:
        raise TooLarge(f"The JSON body is larger than {MAX_JSON_BYTES // 1024} KB.")
    try:
        parsed = json.loads(data)
    except (ValueError, UnicodeDecodeError) as error:
        raise ServiceError(f"The body is not valid JSON ({error}).") from None
    return _validate(model, parsed)


def _validate(model: type[BaseModel], data: Any) -> BaseModel:
    try:
        return model.model_validate(data)
    except ValidationError as error:
        name, message = field_name(error)
        raise Invalid(message, field=name) from None


def _respond(op: Operation, result: Any) -> Response | tuple[Response, int]:
    if isinstance(result, Response):
        return result
    if isinstance(result, BaseModel):
        return jsonify(result.model_dump(mode="json")), op.status
    return Response(status=204) if result is None else (jsonify(result), op.status)


def operation(
    method: str, rule: str, *, summary: str, tag: str, **options: Any
) -> Callable[[Handler], Handler]:
    """Declare an API operation; the view gets ``user_id``, and ``body``/``query`` models.

    The view's docstring becomes the operation's description in the OpenAPI document.
    """

    def decorate(view: Handler) -> Handler:
        description = inspect.cleandoc(view.__doc__ or "")
        op = Operation(method, rule, summary, tag, description=description, **options)
        OPERATIONS.append(op)

        @functools.wraps(view)
        def handle(**path: Any) -> Response | tuple[Response, int]:
            kwargs: dict[str, Any] = dict(path)
            user_id = _authenticate(op)
            if op.auth:
                kwargs["user_id"] = user_id
            if op.body is not None:
                kwargs["body"] = _json_body(op.body)
            if op.query is not None:
                kwargs["query"] = _validate(op.query, request.args.to_dict())
            g.api_operation = op
            return _respond(op, view(**kwargs))

        bp.add_url_rule(rule, endpoint=view.__name__, view_func=handle, methods=[method])
        return view

    return decorate


@bp.get("/openapi.json")
def openapi() -> Response:
    """The OpenAPI 3.1 document of this API, generated from the operations' models."""
    server = current_config().base_url + (bp.url_prefix or "")
    return jsonify(openapi_document(OPERATIONS, version=VERSION, server=server))


def register(app: Any) -> None:
    """Register the API (CSRF is checked per request in :func:`_authenticate`)."""
    from planner.web.api import (  # noqa: F401 - the modules declare operations
        account,
        caldav,
        calendars,
        couple,
        feed,
        google,
        itip,
        planning,
    )

    current_csrf = app.extensions["csrf"]
    current_csrf.exempt(bp)
    app.register_blueprint(bp)
