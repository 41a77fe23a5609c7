"""The demo desk's machinery: the people, the plan of timed steps, and how one record is worked."""

import bisect
import random
from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from cmdb.models import ConfigurationItem
from cmdb.selectors import business_service_list
from servicedesk.models import SupportGroup, TimelineEntry, User

from .. import services
from ..models import Category, Incident, RequestType
from .data import (
    AGENT_QUESTIONS,
    CHANNELS,
    DAY,
    DESCRIPTIONS,
    HOLD_TEXT,
    INCIDENT_TOPICS,
    MIN,
    RATING_COMMENTS,
    REQUEST_TYPES,
    REQUESTER_REPLIES,
    REQUESTERS,
    RESOLUTIONS,
    SEED,
    STATUSES,
    WORK_NOTES,
)


class Desk:
    """The plan (steps at planned times), its execution through the services, and the time shift."""

    def __init__(self, now):
        self.rng = random.Random(SEED)  # noqa: S311 (demo data, not secrets)
        # Texts come from their own generator, so the plan drawn from `rng` does not depend on them.
        self.text_rng = random.Random(SEED + 1)  # noqa: S311
        self.now = now
        self.users = {u.username: u for u in User.objects.filter(is_active=True)}
        self.services = {s.name: s for s in business_service_list().select_related("support_group")}
        self.groups = {g.name: g for g in SupportGroup.objects.prefetch_related("members")}
        self.members = {
            name: sorted(g.members.all(), key=lambda u: u.username) for name, g in self.groups.items()
        }
        self.categories = {
            (c.parent.name if c.parent else None, c.name): c
            for c in Category.objects.select_related("parent")
        }
        self.request_types = {
            rt.name: rt for rt in RequestType.objects.select_related("service", "support_group")
        }
        self.apps = self._applications()
        self.steps: list[tuple] = []  # (planned time, order, callable)
        self.creates = 0
        self.records: dict[str, Incident] = {}
        self.made: list[int] = []
        self.auto_close = timedelta(days=settings.ITSM_AUTO_CLOSE_DAYS)

    # Planning

    def plan(self, when, action, *, creates: bool = False) -> None:
        self.steps.append((when, len(self.steps), action))
        self.creates += creates

    def planned_records(self) -> int:
        return self.creates

    def pick(self, weighted):
        values, weights = zip(*weighted, strict=True)
        return self.rng.choices(values, weights=weights)[0]

    def user(self, name):
        return self.users[name]

    def agent_of(self, group: SupportGroup | None) -> User:
        people = [
            u for u in self.members.get(group.name if group else "Service Desk", []) if u.username != "admin"
        ]
        return self.rng.choice(people or self.members["Service Desk"])

    def _applications(self):
        from cmdb.demo import SERVICES

        names = {app for *_rest, apps in SERVICES for app in apps}
        found = {ci.name: ci for ci in ConfigurationItem.objects.filter(name__in=names)}
        return {name: [found[a] for a in apps if a in found] for name, *_rest, apps in SERVICES}

    # Executing: each step runs through the services; its real start time maps to its planned time.

    def run(self) -> None:
        real, planned = [], []
        for when, _order, action in sorted(self.steps, key=lambda step: step[:2]):
            start = timezone.now()
            if planned:
                when = max(when, planned[-1] + (start - real[-1]))
            real.append(start)
            planned.append(when)
            action()
        self._shift(real, planned)

    def _shift(self, real, planned) -> None:
        def moved(value):
            if value is None:
                return None
            i = max(bisect.bisect_right(real, value) - 1, 0)
            return planned[i] + (value - real[i])

        stamps = ["created_at", "updated_at", "resolved_at", "closed_at", "responded_at", "rated_at"]
        for pk, *values in Incident.objects.filter(pk__in=self.made).values_list("pk", *stamps):
            Incident.objects.filter(pk=pk).update(
                **{f: moved(v) for f, v in zip(stamps, values, strict=True)}
            )
        entries = list(
            TimelineEntry.objects.filter(
                content_type__app_label="incidents", object_id__in=self.made, created_at__gte=real[0]
            ).only("pk", "created_at")
        )
        for entry in entries:
            entry.created_at = moved(entry.created_at)
        TimelineEntry.objects.bulk_update(entries, ["created_at"], batch_size=500)


class Story:
    """One record's life: steps at increasing planned times, written by the people of the desk."""

    def __init__(self, desk: Desk, key: str, start):
        self.desk, self.key, self.t = desk, key, start
        self.steps: list[tuple] = []
        self.resolved_at = None

    def commit(self, end=None) -> None:
        """Hand the steps to the desk, moved so that the last one happens at `end` (None: as planned)."""
        delta = timedelta(0) if end is None else end - self.t
        for when, action, creates in self.steps:
            self.desk.plan(when + delta, action, creates=creates)

    @property
    def record(self) -> Incident:
        return self.desk.records[self.key]

    def later(self, low: float, high: float) -> "Story":
        """Move the story's clock on by a random number of minutes in [low, high]."""
        self.t += timedelta(minutes=self.desk.rng.uniform(low, high))
        return self

    def after(self, minutes: float) -> "Story":
        """Move the story's clock on by exactly `minutes` (drawing nothing from the plan's generator)."""
        self.t += timedelta(minutes=minutes)
        return self

    def create(self, *, actor, **fields) -> "Story":
        def action():
            record = services.incident_create(actor=actor, **fields)
            self.desk.records[self.key] = record
            self.desk.made.append(record.pk)

        self.steps.append((self.t, action, True))
        return self

    def then(self, action) -> "Story":
        """Run `action()` at the story's time (a step that touches other records too)."""
        self.steps.append((self.t, action, False))
        return self

    def do(self, call, /, **kwargs) -> "Story":
        """Call the service `call(record=..., **kwargs)` at the story's time."""
        return self.then(lambda: call(record=self.record, **kwargs))

    def move(self, to: str, actor, **inputs) -> "Story":
        return self.do(services.incident_transition, actor=actor, to=to, **inputs)

    def say(self, actor, body: str, *, public: bool = True) -> "Story":
        return self.do(services.incident_comment, actor=actor, body=body, is_public=public)


def _group_for(desk: Desk, *, request_type=None, service=None) -> SupportGroup:
    for group in (
        getattr(request_type, "support_group", None),
        getattr(getattr(request_type, "service", None), "support_group", None),
        getattr(service, "support_group", None),
    ):
        if group is not None:
            return group
    return desk.groups["Service Desk"]


def _work(desk: Desk, story: Story, *, status, requester, group, kind):
    """Plan the agent's side of a record up to `status`; the record exists and sits in `group`."""
    rng = desk.rng
    agent = desk.agent_of(group)
    if status == "new":
        if rng.random() < 0.2:
            story.later(30, 600).say(requester, "Any news on this? It is still happening.")
        return
    if status == "cancelled" and rng.random() < 0.5:
        story.later(10, 600).move("cancelled", requester, reason="No longer needed: it works again.")
        return
    dispatcher = group.manager if group.manager_id and rng.random() < 0.5 else agent
    story.later(5, 180).do(services.incident_assign, actor=dispatcher, assignee=agent)
    if status == "assigned":
        if rng.random() < 0.5:
            story.later(5, 90).say(agent, "Thanks, we have your record and will look at it shortly.")
        return
    story.later(5, 240).move("in_progress", agent)
    if rng.random() < 0.6:
        story.later(10, 240).say(agent, rng.choice(WORK_NOTES), public=False)
    if rng.random() < 0.4 and requester != agent:
        story.later(10, 120).say(agent, rng.choice(AGENT_QUESTIONS))
        story.later(20, 600).say(requester, in_their_language(desk.text_rng, requester, REQUESTER_REPLIES))
    if status == "in_progress":
        return
    if status == "on_hold":
        reason = rng.choice(list(HOLD_TEXT))
        story.later(10, 300).move("on_hold", agent, hold_reason=reason, reason=HOLD_TEXT[reason])
        return
    if rng.random() < 0.2:
        story.later(30, 300).move("on_hold", agent, hold_reason="vendor", reason=HOLD_TEXT["vendor"])
        story.later(600, 4000).move("in_progress", agent)
    if status == "cancelled":
        story.later(60, 2000).move("cancelled", agent, reason="Handled in another record by phone.")
        return
    _resolve(desk, story, agent=agent, kind=kind)
    if status == "resolved":
        return
    if rng.random() < 0.12:
        story.later(60, 1440).say(requester, "Sorry, it is happening again.")  # reopens it
        story.later(30, 600).say(agent, "Reopened by the requester; checking again.", public=False)
        _resolve(desk, story, agent=agent, kind=kind)
    _close(desk, story, requester=requester, agent=agent)


def _resolve(desk: Desk, story: Story, *, agent, kind, fcr=False) -> None:
    rng = desk.rng
    code = (
        "fulfilled"
        if kind == "request"
        else desk.pick([("solved", 55), ("workaround", 20), ("advice", 15), ("not_reproducible", 10)])
    )
    if fcr:
        story.later(10, 15)
    else:
        story.later(30, 2880)
    story.move(
        "resolved",
        agent,
        resolution_code=code,
        resolution_notes=rng.choice(RESOLUTIONS[code]),
        first_contact_resolution=fcr,
    )
    story.resolved_at = story.t


def _close(desk: Desk, story: Story, *, requester, agent) -> None:
    """The requester confirms and rates, or the record closes by itself, or the agent closes it."""
    rng = desk.rng
    chance = rng.random()
    if chance < 0.45:
        score = desk.pick([(5, 45), (4, 30), (3, 13), (2, 7), (1, 5)])
        comment = RATING_COMMENTS[score] if rng.random() < 0.6 else ""
        story.later(30, 2880).move("closed", requester, csat_score=score, csat_comment=comment)
    elif chance < 0.9:
        story.t = story.resolved_at + desk.auto_close + timedelta(minutes=rng.uniform(1, 60))
        story.move("closed", None)
    else:
        story.later(60, 1440).move("closed", agent)


def in_their_language(rng, person, texts: list[str]) -> str:
    """One of `texts` in the person's language: the Chinese ones for people who read Chinese."""
    reads_chinese = (person.language or "").startswith("zh")
    fitting = [text for text in texts if any("\u4e00" <= ch <= "\u9fff" for ch in text) == reads_chinese]
    return rng.choice(fitting or texts)


def random_record(desk: Desk, n: int) -> None:
    rng = desk.rng
    status = desk.pick(STATUSES)
    requester = desk.user(desk.pick(REQUESTERS))
    story = Story(desk, f"random-{n}", desk.now)
    fields: dict = {
        "requester": requester,
        "description": in_their_language(desk.text_rng, requester, DESCRIPTIONS),
    }
    service = request_type = None
    if rng.random() < 0.35 and desk.request_types:
        _service, name, *_rest, titles = rng.choice(REQUEST_TYPES)
        request_type = desk.request_types.get(name)
    if request_type is not None:
        kind, channel = "request", desk.pick([("portal", 80), ("email", 12), ("phone", 8)])
        fields |= {"kind": kind, "request_type": request_type, "title": rng.choice(titles)}
    else:
        kind, channel = "incident", desk.pick(CHANNELS)
        service_name = rng.choice(list(INCIDENT_TOPICS))
        title, top, sub = rng.choice(INCIDENT_TOPICS[service_name])
        service = desk.services.get(service_name)
        fields |= {
            "title": title,
            "category": desk.categories[(None, top)],
            "subcategory": desk.categories[(top, sub)],
            "urgency": desk.pick([(1, 15), (2, 50), (3, 35)]),
        }
    group = _group_for(desk, request_type=request_type, service=service)
    untriaged = kind == "incident" and channel in ("portal", "email") and rng.random() < 0.2
    if not untriaged:
        fields["service"] = service
    fcr = (
        kind == "incident" and channel == "phone" and status in ("resolved", "closed") and rng.random() < 0.6
    )
    if channel == "phone":
        group = desk.groups["Service Desk"] if fcr else group
        actor = desk.agent_of(desk.groups["Service Desk"])
        fields |= {"impact": desk.pick([(2, 30), (3, 70)]), "support_group": group}
        if fcr:
            fields["assignee"] = actor
    elif channel == "monitoring":
        actor = desk.agent_of(group)
        fields |= {"requester": actor, "impact": desk.pick([(1, 15), (2, 60), (3, 25)]), "urgency": 1}
    else:
        actor = requester
    story.create(actor=actor, channel=channel, **fields)
    if fcr:
        _resolve(desk, story, agent=actor, kind=kind, fcr=True)
        if status == "closed":
            _close(desk, story, requester=fields["requester"], agent=actor)
        return _place(desk, story, status)
    if untriaged or (kind == "incident" and channel == "portal" and rng.random() < 0.25):
        triage = desk.agent_of(desk.groups["Service Desk"])
        changes = {"impact": desk.pick([(1, 5), (2, 45), (3, 50)])}
        if untriaged and service is not None:
            changes["service"] = service
            cis = desk.apps.get(service.name)
            if cis:
                changes["affected_cis"] = cis
        story.later(5, 120).do(services.incident_update, actor=triage, **changes)
        if untriaged and group.name != "Service Desk":
            story.later(1, 10).do(services.incident_assign, actor=triage, support_group=group)
    _work(desk, story, status=status, requester=fields["requester"], group=group, kind=kind)
    return _place(desk, story, status)


def _place(desk: Desk, story: Story, status: str) -> None:
    """Put the story's last step at a believable time for its status, within the last 60 days."""
    rng, now = desk.rng, desk.now
    length = story.t - desk.now
    recent = {"new": 2, "assigned": 4, "in_progress": 6, "on_hold": 10}
    if status in recent:
        end = now - timedelta(minutes=rng.uniform(10, recent[status] * 1440))
    elif status == "resolved":
        end = now - timedelta(minutes=rng.uniform(60, (desk.auto_close - DAY).total_seconds() / 60))
    else:
        earliest = now - timedelta(days=59) + length
        end = earliest + (now - timedelta(hours=1) - earliest) * rng.random() ** 0.8
    end = max(min(end, now - 10 * MIN), now - timedelta(days=59) + length)
    story.commit(end)
