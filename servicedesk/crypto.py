"""Secrets the desk must use again (a mailbox password, a webhook signing secret), encrypted at rest.

Fernet (AES-128-CBC with HMAC-SHA256) keyed from `SECRET_KEY`; values written under a key listed in
`SECRET_KEY_FALLBACKS` still decrypt, so the key can be rotated. Never shown again once saved.
"""

import base64
import hashlib
import logging

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.db import models

logger = logging.getLogger(__name__)

_SALT = b"itsm.crypto.v1:"


def _fernet(key: str) -> Fernet:
    return Fernet(base64.urlsafe_b64encode(hashlib.sha256(_SALT + key.encode()).digest()))


def _keys() -> MultiFernet:
    keys = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    return MultiFernet([_fernet(key) for key in keys])


def encrypt(text: str) -> str:
    return _keys().encrypt(text.encode()).decode("ascii")


def decrypt(token: str) -> str:
    """The plain text, or "" when no current or fallback key opens it (the key changed)."""
    try:
        return _keys().decrypt(token.encode("ascii")).decode()
    except (InvalidToken, ValueError):
        logger.error("crypto: a stored secret cannot be decrypted with SECRET_KEY or its fallbacks")
        return ""


class EncryptedTextField(models.TextField):
    """A text column holding a Fernet token; Python code sees the plain text. Not searchable."""

    def from_db_value(self, value, expression, connection):
        if value is None or value == "":
            return value
        return decrypt(value)

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return encrypt(value)
