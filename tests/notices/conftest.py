"""Fixtures of 納付書 and letters: fast password hashing, a known 確認番号 secret, the export engine's."""

import pytest
from pytest_django import Settings

# The export engine's fixtures (users, contractor, approval, a temporary var/), for the print data.
from tests.governance.conftest import approve, clerk, contractor, supervisor, today, var_dir  # noqa: F401


@pytest.fixture(autouse=True)
def fast_passwords(settings: Settings) -> None:
    """Users are made in every test here; Argon2 (the production hasher) is tested in tests/security."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def slip_settings(settings: Settings) -> Settings:
    settings.PAYEASY_CONFIRMATION_KEY = "slip-test-secret"
    settings.PAYEASY_CONFIRMATION_LENGTH = 4
    settings.CVS_COMPANY_CODE = "912345"
    settings.CVS_AGENT_PREFIX = "59919"
    settings.CVS_BARCODE_CAP = 300_000
    settings.SLIP_VALIDITY_DAYS = 14
    return settings
