"""Demo macros (canned responses: everyone's, the Service Desk's, Bob's own) and watchers on Alice's
newest record (her manager and her finance lead's address), so the pages have real rows. Idempotent:
macros by name and scope, watchers once each."""

from servicedesk.models import Macro, SupportGroup, User
from servicedesk.services.macros import macro_create
from servicedesk.services.watchers import watcher_add

from ..models import Incident

# (name, author, scope: "global" / a group's name / "personal", public?, text, changes)
MACROS = [
    (
        "Ask for more details",
        "admin",
        "global",
        True,
        "Hello {{ requester.first_name }},\n\nTo move {{ number }} on we need a little more: what exactly "
        "happens, since when, and a screenshot if you can.\n\nThanks,\n{{ agent.name }}",
        {"status": "on_hold", "hold_reason": "requester"},
    ),
    (
        "Solved: please confirm",
        "admin",
        "global",
        True,
        "Hello {{ requester.first_name }},\n\nWe believe {{ number }} is solved. Please confirm it works "
        "for you, or reply and we reopen it.\n\n{{ agent.name }}, {{ group }}",
        {"status": "resolved", "resolution_code": "solved"},
    ),
    (
        "Password reset done",
        "carol",
        "Service Desk",
        True,
        "Hello {{ requester.first_name }},\n\nYour password was reset. You will be asked to choose a new "
        "one at your next sign-in.\n\n{{ agent.name }}",
        {"status": "resolved", "resolution_code": "fulfilled"},
    ),
    (
        "Checked with the vendor",
        "carol",
        "Service Desk",
        False,
        "Raised with the vendor's support; waiting for their case number.",
        {"status": "on_hold", "hold_reason": "vendor"},
    ),
    (
        "We are on it",
        "bob",
        "personal",
        True,
        "Hello {{ requester.first_name }}, I am {{ agent.first_name }} and I am looking at {{ number }} now.",
        {"status": "in_progress"},
    ),
]
WATCHER_ADDRESS = "finance-lead@contoso.example"


def seed_macros() -> int:
    """The demo macros that are missing; returns how many were created."""
    people = {user.username: user for user in User.objects.filter(username__in={m[1] for m in MACROS})}
    created = 0
    for name, author, scope, is_public, body, changes in MACROS:
        actor = people.get(author)
        if actor is None:
            continue
        group = (
            SupportGroup.objects.filter(name=scope).first() if scope not in ("global", "personal") else None
        )
        owner = actor if scope == "personal" else None
        if scope not in ("global", "personal") and group is None:
            continue
        if Macro.objects.filter(name=name, owner=owner, group=group).exists():
            continue
        macro_create(
            actor=actor, name=name, body=body, is_public=is_public, changes=changes, owner=owner, group=group
        )
        created += 1
    return created


def seed_watchers(marker_title: str) -> None:
    """Carol (Alice's manager) and Alice's finance lead watch Alice's newest record, added by Bob."""
    alice, bob, carol = (User.objects.filter(username=name).first() for name in ("alice", "bob", "carol"))
    record = Incident.objects.filter(requester=alice, title=marker_title).first()
    if record is None or bob is None:
        return
    if carol is not None:
        watcher_add(record=record, user=carol, actor=bob)
    watcher_add(record=record, email=WATCHER_ADDRESS, actor=bob)
