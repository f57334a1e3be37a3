"""API: who am I, and personal API tokens."""

from __future__ import annotations

from sqlalchemy import select

from planner.services import api_tokens
from planner.services.errors import Forbidden, NotFound
from planner.store.models import User
from planner.web.api import operation
from planner.web.api.schemas import MeOut, PartnerOut, TokenCreated, TokenIn, TokenList, TokenOut
from planner.web.clock import now
from planner.web.db import db

TAG = "account"


@operation("GET", "/me", summary="The signed-in partner", tag=TAG, response=MeOut)
def me(user_id: int) -> MeOut:
    """The partner, their settings and their couple."""
    user = db().get(User, user_id)
    if user is None:
        raise NotFound("There is no such account.")
    partner = None
    if user.couple_id is not None:
        other = db().scalar(
            select(User).where(User.couple_id == user.couple_id, User.id != user.id)
        )
        partner = PartnerOut(name=other.display_name, zone=other.zone) if other else None
    return MeOut(
        id=user.id, email=user.email, name=user.display_name, zone=user.zone,
        windows=user.windows, couple_id=user.couple_id, partner=partner,
    )  # fmt: skip


@operation("GET", "/tokens", summary="List personal API tokens", tag=TAG, response=TokenList)
def list_tokens(user_id: int) -> TokenList:
    """The partner's live tokens (never their secrets)."""
    infos = api_tokens.list_tokens(db(), user_id)
    return TokenList(tokens=[TokenOut.model_validate(i, from_attributes=True) for i in infos])


@operation(
    "POST", "/tokens", summary="Create a personal API token (shown once)", tag=TAG,
    body=TokenIn, response=TokenCreated, status=201,
)  # fmt: skip
def create_token(user_id: int, body: TokenIn) -> TokenCreated:
    """A new token; only a signed-in browser session may create one."""
    from flask import request

    if request.headers.get("Authorization"):
        raise Forbidden("Create tokens from a signed-in session, not with another token.")
    token = api_tokens.create_token(db(), user_id, name=body.name, now=now())
    created = api_tokens.list_tokens(db(), user_id)[0]
    return TokenCreated(id=created.id, name=created.name, token=token)


@operation(
    "DELETE", "/tokens/<int:token_id>", summary="Revoke a personal API token", tag=TAG,
    status=204, errors=(404,),
)  # fmt: skip
def revoke_token(user_id: int, token_id: int) -> None:
    """Revoke the token at once."""
    api_tokens.revoke_token(db(), user_id, token_id, now=now())
