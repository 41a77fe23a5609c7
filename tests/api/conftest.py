import pytest
from rest_framework.test import APIClient

from servicedesk.services.tokens import api_token_create


@pytest.fixture
def token_for(db):
    """`token_for(user)`: a fresh personal API key for `user`."""

    def _token(user, name="tests", **kwargs):
        _token_row, key = api_token_create(user=user, actor=user, name=name, **kwargs)
        return key

    return _token


@pytest.fixture
def bearer_client(token_for):
    """`bearer_client(user)`: a new client that sends `Authorization: Bearer <key>` and enforces CSRF,
    as an integration's HTTP client does (no forced authentication)."""

    def _client(user):
        client = APIClient(enforce_csrf_checks=True)
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {token_for(user)}")
        return client

    return _client
