"""The signed link an approval e-mail carries: it names the request and the approver, nothing more.

Following it never decides: it opens the decision page, after signing in, and only for the person it was
sent to. It expires after ITSM_APPROVAL_LINK_MAX_AGE_DAYS.
"""

from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.urls import reverse

SALT = "servicedesk.approvals.link"


class LinkInvalid(Exception):
    """Tampered with, or expired."""


def approval_link_token(*, approval_id: int, user_id: int) -> str:
    return signing.dumps({"a": approval_id, "u": user_id}, salt=SALT, compress=True)


def approval_link_url(*, approval_id: int, user_id: int) -> str:
    """The absolute link for e-mail (no request to take the host from in a worker)."""
    token = approval_link_token(approval_id=approval_id, user_id=user_id)
    return settings.ITSM_SITE_URL + reverse("approval_link", args=[token])


def approval_link_read(token: str) -> tuple[int, int]:
    """(approval id, user id) the link was made for; LinkInvalid when tampered with or expired."""
    max_age = timedelta(days=settings.ITSM_APPROVAL_LINK_MAX_AGE_DAYS)
    try:
        data = signing.loads(token, salt=SALT, max_age=max_age)
        return int(data["a"]), int(data["u"])
    except (signing.BadSignature, KeyError, TypeError, ValueError) as exc:
        raise LinkInvalid() from exc
