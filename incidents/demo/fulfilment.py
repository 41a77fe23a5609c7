"""The demo's catalogue form and fulfilment tasks: "New laptop" asks for its fields, needs the requester's
manager's approval and is fulfilled by IT procurement, then desktop support; one of Alice's laptop requests
is approved and half done, so the task list and the record pages have real rows."""

from servicedesk.models import SupportGroup, User

from ..models import FulfilmentTask, Incident, RequestType, TaskTemplate

LAPTOP = "New laptop"
LAPTOP_FORM = {
    "type": "object",
    "x-order": ["model", "needed_by", "cost_centre", "for_whom", "justification"],
    "properties": {
        "model": {
            "type": "string",
            "title": "Model",
            "description": "The developer model needs a justification.",
            "enum": ["Standard 14-inch", "Developer 16-inch", "Light 13-inch"],
        },
        "needed_by": {"type": "string", "format": "date", "title": "Needed by"},
        "cost_centre": {
            "type": "string",
            "title": "Cost centre",
            "description": "As on your payslip, for example CC-4100.",
            "minLength": 4,
            "maxLength": 12,
        },
        "for_whom": {"type": "integer", "format": "user", "title": "For whom"},
        "justification": {
            "type": "string",
            "title": "Justification",
            "x-widget": "textarea",
            "maxLength": 2000,
        },
    },
    "required": ["model", "needed_by", "cost_centre", "for_whom"],
}
GROUPS = {
    "IT procurement": ("tier2", "procurement@contoso.example", "Orders hardware and software.", ["grace"]),
    "Desktop support": ("tier2", "", "Sets up laptops, desktops and peripherals.", ["bob"]),
}
TASKS = [
    ("IT procurement", "Order the laptop", "Order the model asked for, charged to the cost centre."),
    ("Desktop support", "Set up and hand over", "Install the standard image, enrol it and hand it over."),
]
DEMO_TITLE = "Laptop for the new analyst"


def seed_laptop_fulfilment() -> bool:
    """Give "New laptop" its form, approval and tasks (once), and file Alice's demo request through the
    services: Carol approves it, IT procurement orders. Returns whether the request was made now."""
    laptop = RequestType.objects.filter(name=LAPTOP).first()
    users = {u.username: u for u in User.objects.filter(username__in=["alice", "carol", "grace", "bob"])}
    desk = SupportGroup.objects.filter(name="Service Desk").first()
    if laptop is None or len(users) < 4 or desk is None:
        return False
    groups = {}
    for name, (tier, email, description, members) in GROUPS.items():
        group, created = SupportGroup.objects.get_or_create(
            name=name, defaults={"tier": tier, "email": email, "description": description}
        )
        if created:
            group.members.add(*(users[member] for member in members))
        groups[name] = group
    if not laptop.form_schema:
        laptop.form_schema = LAPTOP_FORM
        laptop.approval = RequestType.Approval.MANAGER
        laptop.approval_group = desk
        laptop.save(update_fields=["form_schema", "approval", "approval_group"])
    if not TaskTemplate.objects.filter(request_type=laptop).exists():
        TaskTemplate.objects.bulk_create(
            TaskTemplate(
                request_type=laptop, position=n, name=name, description=text, support_group=groups[group]
            )
            for n, (group, name, text) in enumerate(TASKS)
        )
    if Incident.objects.filter(requester=users["alice"], title=DEMO_TITLE).exists():
        return False
    return _file_demo_request(laptop, users)


def _file_demo_request(laptop, users) -> bool:
    from servicedesk.approvals.services import approval_decide
    from servicedesk.models import ApprovalRequest

    from ..services import incident_create
    from ..services.fulfilment import fulfilment_task_complete
    from .sla import policies_paused, rebuild_demo_clocks

    alice = users["alice"]
    if alice.manager_id is None:
        return False
    with policies_paused():
        record = incident_create(
            actor=alice,
            kind="request",
            title=DEMO_TITLE,
            description="Our new analyst starts on the first of the month.",
            request_type=laptop,
            form_data={
                "model": "Developer 16-inch",
                "needed_by": "2027-01-04",
                "cost_centre": "CC-4100",
                "for_whom": alice.pk,
                "justification": "Large spreadsheet models and the BI tools.",
            },
        )
        approval = ApprovalRequest.objects.filter(object_id=record.pk, status="pending").first()
        if approval is not None:
            approval_decide(approval=approval, actor=alice.manager, decision="approve", comment="Budgeted.")
        first = FulfilmentTask.objects.filter(record=record).order_by("position").first()
        if first is not None:
            fulfilment_task_complete(task=first, actor=users["grace"], note="Ordered; delivery on Tuesday.")
    rebuild_demo_clocks([record.pk])
    return True
