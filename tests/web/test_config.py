"""Configuration from the environment: Google's client, endpoints and the secret keys."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet

from integrations.google.config import GOOGLE
from planner.web.config import Config, ConfigError, google_settings

SECRET = "s" * 40
KEY = Fernet.generate_key().decode()
CLIENT = {"PLANNER_GOOGLE_CLIENT_ID": "id.apps", "PLANNER_GOOGLE_CLIENT_SECRET": "shh"}


def test_google_is_off_without_a_client() -> None:
    config = Config.from_env({"SECRET_KEY": SECRET})
    config.check()
    assert google_settings(config) is None and config.google_endpoints == GOOGLE


def test_google_settings_from_the_environment() -> None:
    env = {"SECRET_KEY": SECRET, "PLANNER_SECRET_KEYS": f"{KEY}, {Fernet.generate_key().decode()}",
           "PLANNER_BASE_URL": "https://plan.example.org/", **CLIENT}  # fmt: skip
    config = Config.from_env(env)
    config.check()
    settings = google_settings(config)
    assert settings is not None and settings.endpoints == GOOGLE
    assert settings.keys[0] == KEY and len(settings.keys) == 2
    assert settings.redirect_uri == "https://plan.example.org/sources/google/callback"


def test_the_emulator_and_single_endpoints_are_configurable() -> None:
    env = {"SECRET_KEY": SECRET, "PLANNER_SECRET_KEYS": KEY, **CLIENT,
           "PLANNER_GOOGLE_EMULATOR": "http://127.0.0.1:8085/",
           "PLANNER_GOOGLE_TOKEN_URI": "http://127.0.0.1:9/token"}  # fmt: skip
    endpoints = Config.from_env(env).google_endpoints
    assert endpoints.auth_uri == "http://127.0.0.1:8085/o/oauth2/v2/auth"
    assert endpoints.api_root == "http://127.0.0.1:8085/calendar/v3/"
    assert endpoints.token_uri == "http://127.0.0.1:9/token"


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({**CLIENT}, "PLANNER_SECRET_KEYS is missing"),
        ({**CLIENT, "PLANNER_GOOGLE_CLIENT_SECRET": "", "PLANNER_SECRET_KEYS": KEY},
         "PLANNER_GOOGLE_CLIENT_SECRET"),
        ({"PLANNER_SECRET_KEYS": "not-a-key"}, "Fernet key"),
    ],
)  # fmt: skip
def test_google_misconfiguration_is_refused(env: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        Config.from_env({"SECRET_KEY": SECRET, **env}).check()


def test_demo_makes_up_a_secret_key() -> None:
    config = Config.from_env({"PLANNER_DEMO": "1"})
    assert len(config.secret_keys) == 1
    Fernet(config.secret_keys[0])
