"""What the demo records alone would not show: saved queue views, and a reply that came in by e-mail with a
file attached (an attachment on a record and an inbound e-mail in the admin)."""

from email.message import EmailMessage
from email.utils import format_datetime

from django.utils import timezone

from servicedesk.intake import email_ingest
from servicedesk.models import InboundEmail, Mailbox, SavedView, User
from servicedesk.services.saved_views import saved_view_create

from ..models import Incident
from ..views_queue import SAVED_VIEW_SCOPE

# name, queue query (filters and sort), columns (empty: the queue's default): kept by every agent
SAVED_VIEWS = [
    ("Major incidents", "view=open&is_major=true", []),
    ("Breached, all open", "view=open&sla_breached=true", []),
    ("P1 and P2 waiting for someone", "view=groups&priority=1&priority=2", []),
    (
        "Recently updated",
        "view=open&sort=-updated",
        ["number", "priority", "title", "status", "assignee", "updated", "sla"],
    ),
]
AGENTS = ["bob", "carol", "nina", "wang", "dave", "erin", "grace", "heidi", "victor"]

REPLY_MESSAGE_ID = "<demo-alice-monitor-reply@contoso.example>"
REPLY_LOG = """\
2026-03-02 08:58:12 dock: firmware 01.00.14, DisplayPort MST enabled
2026-03-02 08:58:13 display 1: DELL U2723QE connected, 3840x2160@60
2026-03-02 08:58:13 display 2: no EDID received on DP-2 (retry 1/3)
2026-03-02 08:58:15 display 2: no EDID received on DP-2 (retry 3/3), giving up
"""


def seed_saved_views() -> int:
    """The demo agents' saved queue views that are missing (by name); returns how many were created."""
    created = 0
    for agent in User.objects.filter(username__in=AGENTS):
        for name, query, columns in SAVED_VIEWS:
            if not SavedView.objects.filter(owner=agent, scope=SAVED_VIEW_SCOPE, name=name).exists():
                saved_view_create(
                    owner=agent, scope=SAVED_VIEW_SCOPE, name=name, query=query, columns=columns
                )
                created += 1
    return created


def seed_email_reply(marker_title: str) -> bool:
    """Alice answers on her newest record by e-mail, with the dock's log attached, once (by Message-ID)."""
    alice = User.objects.filter(username="alice").first()
    record = Incident.objects.filter(requester=alice, title=marker_title).first()
    if alice is None or record is None or InboundEmail.objects.filter(message_id=REPLY_MESSAGE_ID).exists():
        return False
    mailbox = Mailbox.objects.filter(is_active=False, address="help@contoso.example").first()
    message = EmailMessage()
    message["From"] = f"{alice.full_name} <{alice.email}>"
    message["To"] = mailbox.address if mailbox else "help@contoso.example"
    message["Subject"] = f"Re: [{record.number}] {record.title}"
    message["Message-ID"] = REPLY_MESSAGE_ID
    message["Date"] = format_datetime(timezone.now())
    message.set_content("The dock's log says the second screen sends no EDID. Log attached.\n")
    message.add_attachment(REPLY_LOG.encode(), maintype="text", subtype="plain", filename="dock.log")
    email_ingest(raw=message.as_bytes(), mailbox=mailbox)
    return True


APPROVAL_TYPE = "Paid software licence"
APPROVAL_TITLE = "A licence for the diagram editor"


def seed_approvals() -> bool:
    """A request type that needs the requester's manager's approval (the desk's group approves for people
    without a manager), Alice's manager (Carol), and Alice's request of that type waiting for Carol's
    decision, once. Returns whether the request was made now."""
    from cmdb.selectors import business_service_list
    from servicedesk.models import SupportGroup

    from ..models import RequestType
    from ..services import incident_create
    from .sla import policies_paused, rebuild_demo_clocks

    service = business_service_list().filter(name="Service desk").first()
    desk = SupportGroup.objects.filter(name="Service Desk", is_active=True).first()
    alice = User.objects.filter(username="alice").first()
    carol = User.objects.filter(username="carol").first()
    if None in (service, desk, alice, carol):
        return False
    request_type, _created = RequestType.objects.get_or_create(
        service=service,
        name=APPROVAL_TYPE,
        defaults={
            "description": "Software that is not on the approved list; your manager approves the cost.",
            "support_group": desk,
            "approval": RequestType.Approval.MANAGER,
            "approval_group": desk,
        },
    )
    User.objects.filter(pk=alice.pk, manager__isnull=True).update(manager=carol)
    if Incident.objects.filter(requester=alice, title=APPROVAL_TITLE).exists():
        return False
    alice.refresh_from_db()
    with policies_paused():  # its clocks are replayed from its filing, as every demo record's
        record = incident_create(
            actor=alice,
            kind="request",
            title=APPROVAL_TITLE,
            description="For the network diagrams of the new office.",
            request_type=request_type,
        )
    rebuild_demo_clocks([record.pk])
    return True
