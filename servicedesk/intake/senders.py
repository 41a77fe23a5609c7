"""Who wrote a message, and whether anything proves it (README, "E-mail intake").

Anyone can write any address into `From:`. The desk believes it only when something proves it:
- the message answers a notification the desk sent to that person about that record (its Message-ID
  carries their signed reply token, `servicedesk.mailthreads.reply_authenticates`), or
- the desk's own mail server vouches for the From domain in its `Authentication-Results` header
  (DMARC pass, or an aligned DKIM signature; `authresults`), when ITSM_MAIL_TRUSTED_AUTHSERV_IDS names it.

An unproven message may still speak for a requester (what e-mail has always allowed: they can only reach
their own records, and the desk answers their stored address, never the sender's), but never for staff:
ITSM_MAIL_UNVERIFIED_STAFF makes it an internal, flagged note ("note") or refuses it ("refuse").
ITSM_MAIL_UNKNOWN_SENDERS decides who may file by e-mail without an account.
"""

import logging
import re

from django.conf import settings
from django.core.checks import Tags, Warning, register
from django.utils.translation import gettext as _

from servicedesk.kinds import record_kind
from servicedesk.mailthreads import reply_authenticates
from servicedesk.models import InboundEmail, Organisation, User
from servicedesk.roles import REQUESTER
from servicedesk.services.people import user_create

from .authresults import aligned_pass, trusted_results
from .message import ParsedMail

logger = logging.getLogger(__name__)

UNKNOWN_CREATE, UNKNOWN_ORGANISATIONS, UNKNOWN_REFUSE = "create", "organisations", "refuse"
UNKNOWN_SENDERS = (UNKNOWN_CREATE, UNKNOWN_ORGANISATIONS, UNKNOWN_REFUSE)
STAFF_NOTE, STAFF_REFUSE = "note", "refuse"
UNVERIFIED_STAFF = (STAFF_NOTE, STAFF_REFUSE)

Authentication = InboundEmail.Authentication
_USERNAME_UNSAFE = re.compile(r"[^\w.@+-]")


class Refused(Exception):
    """The message is kept as rejected, with `detail`; nothing else is written."""

    def __init__(self, detail: str):
        super().__init__(detail)
        self.detail = detail


def unknown_senders_policy() -> str:
    """ITSM_MAIL_UNKNOWN_SENDERS; a value it does not know refuses (the safe reading of a typo)."""
    return _policy("ITSM_MAIL_UNKNOWN_SENDERS", UNKNOWN_SENDERS, UNKNOWN_REFUSE)


def unverified_staff_policy() -> str:
    """ITSM_MAIL_UNVERIFIED_STAFF; a value it does not know refuses."""
    return _policy("ITSM_MAIL_UNVERIFIED_STAFF", UNVERIFIED_STAFF, STAFF_REFUSE)


def _policy(name: str, choices: tuple[str, ...], strictest: str) -> str:
    value = str(getattr(settings, name, "")).strip().lower()
    if value in choices:
        return value
    logger.error("intake: %s=%r is not one of %s; using %r", name, value, ", ".join(choices), strictest)
    return strictest


@register(Tags.security)
def intake_settings_check(app_configs=None, **kwargs) -> list:
    """`manage.py check` (and every start) names a misspelt setting instead of silently refusing mail."""
    warnings = []
    for name, choices in (
        ("ITSM_MAIL_UNKNOWN_SENDERS", UNKNOWN_SENDERS),
        ("ITSM_MAIL_UNVERIFIED_STAFF", UNVERIFIED_STAFF),
    ):
        value = str(getattr(settings, name, "")).strip().lower()
        if value not in choices:
            warnings.append(
                Warning(
                    f"{name}={value!r} is not one of {', '.join(choices)}: e-mail intake refuses instead.",
                    id="servicedesk.W001",
                )
            )
    if settings.ITSM_MAIL_REPLY_TOKEN_MAX_AGE_DAYS < 1:
        warnings.append(
            Warning(
                "ITSM_MAIL_REPLY_TOKEN_MAX_AGE_DAYS is below 1: no reply to a notification authenticates.",
                id="servicedesk.W002",
            )
        )
    if not _takes_mail(settings.ITSM_MAIL_DEFAULT_KIND):
        warnings.append(
            Warning(
                f"ITSM_MAIL_DEFAULT_KIND={settings.ITSM_MAIL_DEFAULT_KIND!r} is no kind of record filed from "
                "e-mail: mail piped in without a mailbox is rejected.",
                id="servicedesk.W003",
            )
        )
    return warnings


def _takes_mail(code: str) -> bool:
    try:
        return record_kind(code).mail is not None
    except LookupError:
        return False


def is_staff(user: User) -> bool:
    """Whether the person's word carries the desk's authority: agents (who work records), administrators."""
    return user.is_agent or user.is_staff or user.is_superuser


def sender_user(mail: ParsedMail) -> User:
    """The active user with the sender's address, or a new requester as ITSM_MAIL_UNKNOWN_SENDERS allows.

    Raises Refused for no address, an inactive account, or an unknown sender the setting turns away.
    """
    address = mail.sender_address
    if not address:
        raise Refused(_("The message has no sender address."))
    users = list(User.objects.filter(email__iexact=address).order_by("-is_active", "pk")[:2])
    if users:
        if not users[0].is_active:
            raise Refused(_("The sender's account (%(address)s) is inactive.") % {"address": address})
        return users[0]
    policy = unknown_senders_policy()
    domain = address.rpartition("@")[2]
    organisation = Organisation.objects.filter(email_domain__iexact=domain, is_active=True).first()
    if policy == UNKNOWN_REFUSE:
        raise Refused(
            _("%(address)s has no account, and the desk takes mail only from people it knows.")
            % {"address": address}
        )
    if policy == UNKNOWN_ORGANISATIONS and organisation is None:
        raise Refused(
            _("%(address)s has no account, and %(domain)s is not the e-mail domain of an organisation.")
            % {"address": address, "domain": domain}
        )
    user = user_create(
        actor=None,
        username=_free_username(address),
        email=address,
        full_name=mail.sender_name[:200],
        organisation=organisation,
        roles=[REQUESTER],
    )
    logger.info("intake: created requester %s for %s", user.username, address)
    return user


def _free_username(address: str) -> str:
    """The address as a user name (what the login form accepts), made unique with a suffix."""
    base = _USERNAME_UNSAFE.sub("", address.lower())[:140] or "requester"
    username, suffix = base, 1
    while User.objects.filter(username__iexact=username).exists():
        suffix += 1
        username = f"{base}-{suffix}"
    return username


def sender_authentication(mail: ParsedMail, user: User, record=None) -> str:
    """What proves that `user` sent the message: an `InboundEmail.Authentication` value, or "" for nothing.

    A reply token counts only for `record` (the record the message answers) and for `user`'s current
    address. A message with several From addresses proves nothing.
    """
    if mail.from_count != 1 or not mail.sender_address:
        return ""
    if record is not None and reply_authenticates(mail.references, number=record.number, user=user):
        return Authentication.REPLY_TOKEN
    if mail.message is None:
        return ""
    results = trusted_results(mail.message, settings.ITSM_MAIL_TRUSTED_AUTHSERV_IDS)
    return aligned_pass(results, mail.sender_address.rpartition("@")[2])


def email_data(mail: ParsedMail, authenticated_by: str) -> dict:
    """What a timeline entry keeps about the message it came from (shown to agents)."""
    return {
        "email": {
            "sender": mail.sender_address,
            "message_id": mail.message_id,
            "verified": bool(authenticated_by),
            "authenticated_by": authenticated_by,
        }
    }
