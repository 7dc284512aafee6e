from collections.abc import Callable
from datetime import date

import pytest
from django.test import Client
from django.utils import timezone

from choshu.staff.models import User
from tests.factories import make_user


@pytest.fixture
def today() -> date:
    return timezone.localdate()


@pytest.fixture
def client_for(client: Client) -> Callable[..., Client]:
    """A test client logged in as a new user of `role` (all revenues unless `scopes` given)."""

    def login(role: str, scopes: tuple[str, ...] | None = None) -> Client:
        user: User = make_user(role) if scopes is None else make_user(role, scopes)
        client.force_login(user)
        return client

    return login
