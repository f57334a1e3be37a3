"""Sign up, sign in, sign out. Sign-in attempts are rate-limited per client address."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import UserMixin, current_user, login_required, login_user, logout_user
from flask_wtf import FlaskForm
from werkzeug.exceptions import TooManyRequests
from werkzeug.wrappers import Response
from wtforms import EmailField, PasswordField, StringField
from wtforms.validators import DataRequired, Length

from planner.services import accounts
from planner.services.errors import ServiceError
from planner.store.models import User
from planner.web import login_manager
from planner.web.db import db
from planner.web.forms import add_error, attach_error, field_text
from planner.web.ratelimit import RateLimiter

bp = Blueprint("auth", __name__)


@dataclass(frozen=True)
class Account(UserMixin):  # type: ignore[misc]
    """The signed-in partner as the web layer sees them."""

    id: int
    email: str
    name: str
    zone: str
    couple_id: int | None

    @classmethod
    def of(cls, user: User) -> Account:
        """The account of a stored user."""
        return cls(user.id, user.email, user.display_name, user.zone, user.couple_id)


@login_manager.user_loader
def _load(user_id: str) -> Account | None:
    user = db().get(User, int(user_id)) if user_id.isdigit() else None
    return Account.of(user) if user else None


class SignUpForm(FlaskForm):  # type: ignore[misc]
    """Sign-up form; the zone defaults to the browser's (filled in by a script)."""

    name = StringField("Your name", validators=[DataRequired(), Length(max=80)])
    email = EmailField("E-mail", validators=[DataRequired(), Length(max=254)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=256)])
    zone = StringField("Time zone", validators=[DataRequired(), Length(max=64)])


class SignInForm(FlaskForm):  # type: ignore[misc]
    """Sign-in form."""

    email = EmailField("E-mail", validators=[DataRequired(), Length(max=254)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=256)])


def _safe_next(default: str) -> str:
    """The ``next`` parameter when it is a path on this site, else ``default``."""
    target = request.args.get("next", "")
    parts = urlsplit(target)
    if target.startswith("/") and not target.startswith("//") and not parts.netloc:
        return target
    return default


@bp.route("/signup", methods=["GET", "POST"])
def signup() -> ResponseReturnValue:
    """Create an account and sign in."""
    form = SignUpForm()
    if form.validate_on_submit():
        try:
            user = accounts.sign_up(
                db(), email=field_text(form.email), password=field_text(form.password),
                name=field_text(form.name), zone=field_text(form.zone),
            )  # fmt: skip
        except ServiceError as error:
            attach_error(form, error)
        else:
            login_user(Account.of(user))
            return redirect(_safe_next(url_for("pages.home")))
    return _render("auth/signup.html", form)


def _throttled() -> float | None:
    """Seconds to wait when this client has tried to sign in too often, else None."""
    limiter: RateLimiter = current_app.extensions["planner.signin_limiter"]
    return limiter.hit(request.remote_addr or "unknown")


@bp.route("/signin", methods=["GET", "POST"])
def signin() -> ResponseReturnValue:
    """Sign in with e-mail and password; too many attempts from one address get 429."""
    form = SignInForm()
    if request.method == "POST" and (wait := _throttled()) is not None:
        raise TooManyRequests(retry_after=int(wait) + 1)
    if form.validate_on_submit():
        user = accounts.authenticate(
            db(), email=field_text(form.email), password=field_text(form.password)
        )
        if user is not None:
            login_user(Account.of(user))
            return redirect(_safe_next(url_for("pages.home")))
        add_error(form.password, "That e-mail and password do not match an account.")
    return _render("auth/signin.html", form)


@bp.route("/signout", methods=["POST"])
@login_required
def signout() -> Response:
    """Sign out (a POST, so that no link or image can sign anyone out)."""
    logout_user()
    flash("You are signed out.")
    return redirect(url_for("auth.signin"))


def _render(template: str, form: FlaskForm) -> ResponseReturnValue:
    page = render_template(template, form=form)
    return (page, 422) if form.errors else page


__all__ = ["Account", "bp", "current_user"]
