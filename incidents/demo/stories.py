"""Hand-written demo stories: alice's records, major incidents with their children, a merge."""

from datetime import timedelta

from .. import services
from .data import (
    DAY,
    MIN,
)
from .desk import (
    Desk,
    Story,
)

MARKER = "Second monitor not detected on my docking station"


def alice_story(desk: Desk) -> None:
    """Alice's records in every state, so the portal shows what a requester sees."""
    u, now, cat, svc = desk.user, desk.now, desk.categories, desk.services
    alice, bob, carol, dave, wang = u("alice"), u("bob"), u("carol"), u("dave"), u("wang")
    hours = lambda n: now - timedelta(hours=n)  # noqa: E731

    s = Story(desk, "alice-new", hours(2))
    s.create(
        actor=alice,
        title=MARKER,
        description="Since this morning the second screen stays black.",
        service=svc["Service desk"],
        category=cat[(None, "Hardware")],
        subcategory=cat[("Hardware", "Monitor")],
        urgency=2,
    )
    s.commit()

    s = Story(desk, "alice-question", hours(50))
    s.create(
        actor=alice,
        title="Cannot open my payslip in the HR portal",
        description="The PDF link shows “Access denied”.",
        service=svc["HR portal"],
        category=cat[(None, "Business application")],
        subcategory=cat[("Business application", "HR portal")],
    )
    s.later(30, 60).do(services.incident_assign, actor=dave, assignee=wang)
    s.later(20, 40).move("in_progress", wang)
    s.later(10, 20).say(wang, "Could you tell us which month's payslip fails? Older ones too?")
    s.later(60, 120).say(alice, "Only October; September opens fine.")
    s.later(30, 60).say(
        wang, "October payslips were generated with the wrong template; regenerating.", public=False
    )
    s.commit()

    s = Story(desk, "alice-hold", hours(30))
    s.create(
        actor=alice,
        title="Outlook keeps asking for my password",
        service=svc["E-mail"],
        description="A password prompt every few minutes since the weekend.",
        category=cat[(None, "E-mail")],
        subcategory=cat[("E-mail", "Mailbox")],
    )
    s.later(20, 40).do(services.incident_assign, actor=dave, assignee=dave)
    s.later(10, 20).move("in_progress", dave)
    s.later(5, 10).move(
        "on_hold",
        dave,
        hold_reason="requester",
        reason="Please try signing in to webmail and tell us whether it asks there too.",
    )
    s.commit()

    s = Story(desk, "alice-resolved", hours(40))
    s.create(
        actor=alice,
        title="Printer on the third floor prints blank pages",
        service=svc["Service desk"],
        category=cat[(None, "Hardware")],
        subcategory=cat[("Hardware", "Printer")],
        urgency=3,
    )
    s.later(60, 90).do(services.incident_assign, actor=carol, assignee=bob)
    s.later(30, 60).move("in_progress", bob)
    s.later(120, 240).move(
        "resolved",
        bob,
        resolution_code="solved",
        resolution_notes="Replaced the empty toner cartridge; test page is fine.",
    )
    s.commit()

    s = Story(desk, "alice-rated", now - 16 * DAY)
    s.create(
        actor=alice,
        title="VPN disconnects every few minutes",
        service=svc["VPN"],
        category=cat[(None, "Network")],
        subcategory=cat[("Network", "VPN")],
        urgency=1,
    )
    s.later(10, 20).do(services.incident_assign, actor=u("nina"), assignee=u("heidi"))
    s.later(10, 20).move("in_progress", u("heidi"))
    s.later(60, 120).move(
        "resolved",
        u("heidi"),
        resolution_code="solved",
        resolution_notes="Raised the idle timeout on the VPN gateway for your profile.",
    )
    s.later(600, 900).move("closed", alice, csat_score=5, csat_comment="Fixed in an hour, thanks Heidi!")
    s.commit()

    s = Story(desk, "alice-cancelled", now - 9 * DAY)
    s.create(
        actor=alice,
        title="Cannot log in to the CRM",
        service=svc["CRM"],
        category=cat[(None, "Business application")],
        subcategory=cat[("Business application", "CRM")],
    )
    s.later(15, 30).move("cancelled", alice, reason="Sorry, caps lock was on.")
    s.commit()

    laptop, folder = desk.request_types.get("New laptop"), desk.request_types.get("Access to a shared folder")
    if laptop is not None:
        s = Story(desk, "alice-laptop", now - 6 * DAY)
        s.create(
            actor=alice,
            kind="request",
            request_type=laptop,
            title="Replacement laptop (battery worn out)",
            description="The battery lasts twenty minutes.",
        )
        s.later(60, 120).do(services.incident_assign, actor=carol, assignee=bob)
        s.later(30, 60).move("in_progress", bob)
        s.later(30, 60).say(bob, "Approved by your manager; ordering a new one.")
        s.later(10, 20).move(
            "on_hold", bob, hold_reason="vendor", reason="Waiting for the supplier's delivery."
        )
        s.commit()
    if folder is not None:
        s = Story(desk, "alice-folder", now - 25 * DAY)
        s.create(actor=alice, kind="request", request_type=folder, title="Access to Finance/Budget 2027")
        s.later(30, 60).do(services.incident_assign, actor=dave, assignee=u("grace"))
        s.later(60, 120).move(
            "resolved",
            u("grace"),
            resolution_code="fulfilled",
            resolution_notes="Read access granted; sign out and in to see the folder.",
        )
        s.later(120, 240).move("closed", alice, csat_score=4, csat_comment="")
        s.commit()

    s = Story(desk, "alice-reopened", now - 30 * DAY)
    s.create(
        actor=alice,
        title="Excel crashes when opening large files",
        service=svc["Service desk"],
        category=cat[(None, "Software")],
        subcategory=cat[("Software", "Error or crash")],
    )
    s.later(30, 60).do(services.incident_assign, actor=carol, assignee=carol)
    s.later(10, 20).move("in_progress", carol)
    s.later(60, 120).move(
        "resolved", carol, resolution_code="workaround", resolution_notes="Switched Excel to 64-bit mode."
    )
    s.later(1440, 2000).say(alice, "It crashed again this morning with the quarterly file.")
    s.later(30, 60).say(
        carol,
        "Reopened: the add-in is the culprit, removing it. @bob, same add-in on the finance PCs?",
        public=False,
    )
    s.later(60, 120).move(
        "resolved",
        carol,
        resolution_code="solved",
        resolution_notes="Removed the outdated add-in; the file opens in seconds.",
    )
    s.later(1440, 2000).move("closed", alice, csat_score=3, csat_comment="It took two tries.")
    s.commit()

    # A duplicate filed by e-mail twenty minutes later, merged into the first.
    first = Story(desk, "dup-master", hours(28))
    first.create(
        actor=alice,
        title="Shared drive is very slow",
        service=svc["File sharing"],
        category=cat[(None, "Network")],
        subcategory=cat[("Network", "Slow connection")],
    )
    first.later(30, 40).do(services.incident_assign, actor=dave, assignee=wang)
    first.later(10, 20).move("in_progress", wang)
    first.commit()
    dup = Story(desk, "dup", hours(28) + 20 * MIN)
    dup.create(
        actor=alice,
        channel="email",
        title="Files take ages to open from the S: drive",
        service=svc["File sharing"],
    )
    dup.later(100, 120).then(
        lambda: services.incident_merge(
            duplicate=desk.records["dup"], target=desk.records["dup-master"], actor=bob
        )
    )
    dup.commit()


def _major(
    desk: Desk,
    *,
    key,
    start,
    service,
    title,
    manager,
    declarer,
    agent,
    children,
    resolve_after=None,
    followers=(),
):
    """A major incident from monitoring, declared by the group manager, with the users' reports as its
    children and `followers` who follow it from the portal instead of reporting it again; when
    `resolve_after` (minutes) is given it is resolved (children with it) and closes by itself.
    """
    rng = desk.rng
    master = Story(desk, key, start)
    master.create(
        actor=manager,
        requester=manager,
        channel="monitoring",
        service=desk.services[service],
        title=title,
        impact=1,
        urgency=1,
        affected_cis=desk.apps.get(service, []),
        description="Monitoring: the service check fails from every site.",
    )
    master.later(5, 10).do(
        services.incident_declare_major,
        actor=declarer,
        is_major=True,
        reason="Every user of the service is affected.",
    )
    master.later(1, 5).do(services.incident_assign, actor=manager, assignee=agent)
    master.later(1, 5).move("in_progress", agent)
    master.later(10, 20).say(
        agent, "We know about the outage and are working on it. Next update in 30 minutes."
    )
    master.later(20, 40).say(agent, "Failover to the second node started.", public=False)
    for follower in followers:
        master.later(1, 5).then(_follower(desk, key, follower))
    for n, (requester, child_title) in enumerate(children):
        child = Story(desk, f"{key}-child-{n}", start + timedelta(minutes=rng.uniform(8, 40)))
        child.create(actor=desk.user(requester), title=child_title, service=desk.services[service], urgency=1)
        child.later(15, 30).then(_linker(desk, child.key, key))
        child.commit()
    if resolve_after is not None:
        master.t = start + timedelta(minutes=resolve_after)
        master.move(
            "resolved",
            agent,
            resolution_code="solved",
            resolution_notes="The failed storage controller was replaced; the service is back.",
        )
        master.resolved_at = master.t
        master.t = master.resolved_at + desk.auto_close + timedelta(minutes=rng.uniform(1, 60))
        master.move("closed", None)
        for n in range(len(children)):
            closer = Story(desk, f"{key}-child-{n}", master.t + timedelta(seconds=n + 1))
            closer.move("closed", None).commit()
    master.commit()


def _follower(desk: Desk, key: str, username: str):
    from servicedesk.services.watchers import watcher_add

    user = desk.user(username)
    return lambda: watcher_add(record=desk.records[key], user=user, actor=user)


def _linker(desk: Desk, child: str, parent: str):
    return lambda: services.incident_set_parent(
        record=desk.records[child], actor=desk.user("bob"), parent=desk.records[parent]
    )


def major_stories(desk: Desk) -> None:
    _major(
        desk,
        key="major-email",
        start=desk.now - 21 * DAY,
        service="E-mail",
        title="E-mail unavailable for all users",
        manager=desk.user("dave"),
        declarer=desk.user("carol"),
        agent=desk.user("wang"),
        children=[
            ("alice", "Outlook says “Disconnected”"),
            ("tom", "Cannot send any e-mail"),
            ("liwei", "邮件发不出去"),
            ("frank", "No new mail since 09:00"),
        ],
        resolve_after=190,
    )
    _major(
        desk,
        key="major-vpn",
        start=desk.now - timedelta(hours=3),
        service="VPN",
        title="VPN: remote users cannot connect",
        manager=desk.user("nina"),
        declarer=desk.user("nina"),
        agent=desk.user("heidi"),
        children=[
            ("alice", "VPN connection fails at home"),
            ("tom", "VPN times out"),
            ("liwei", "无法连接 VPN"),
        ],
        followers=["frank"],
    )


def sla_stories(desk: Desk) -> None:
    """Urgent records filed minutes ago on the round-the-clock policy, so the queue shows a green, an
    amber and a breached (and escalated) response clock whatever the day and hour the demo is seeded."""
    u, now, svc, cat = desk.user, desk.now, desk.services, desk.categories
    bob, group = u("bob"), desk.groups["Service Desk"]
    calls = [
        # key, minutes ago, requester, service, title, (category, subcategory), impact (urgency 1)
        ("sla-green", 4, "tom", "Web shop", "Web shop checkout returns an error for every order",
         ("Business application", "Web shop"), 2),
        ("sla-amber", 20, "liwei", "Finance ERP", "ERP 无法登录，月结被阻塞",
         ("Business application", "ERP"), 2),
        ("sla-breached", 50, "alice", "Payroll", "Payroll run stopped halfway: nobody will be paid",
         ("Business application", "Payroll"), 1),
    ]  # fmt: skip
    for key, minutes, requester, service, title, (top, sub), impact in calls:
        s = Story(desk, key, now - timedelta(minutes=minutes))
        s.create(
            actor=bob,
            requester=u(requester),
            channel="phone",
            title=title,
            description="Reported by phone; the caller's whole team is affected.",
            service=svc[service],
            category=cat[(None, top)],
            subcategory=cat[(top, sub)],
            impact=impact,
            urgency=1,
            support_group=group,
        )
        if key == "sla-breached":
            s.later(2, 3).do(services.incident_assign, actor=u("carol"), assignee=bob)
        s.commit()


def first_of_last_month(now):
    """Midnight (UTC) of the first day of the month before `now`'s."""
    start = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    return (start - DAY).replace(day=1)


def last_month_stories(desk: Desk) -> None:
    """The Service Desk's last month, whatever the day the demo is seeded: three urgent calls filed on the
    10th to the 12th of last month (inside last month in any time zone) on the round-the-clock policy, all
    over well before this month: one met both targets, one answered in time but resolved two days late,
    one answered late and resolved late. So the group manager's SLA compliance report for last month
    always has breaches to drill into, and ratings to show."""
    u, svc, cat = desk.user, desk.services, desk.categories
    bob, carol, group = u("bob"), u("carol"), desk.groups["Service Desk"]
    first = first_of_last_month(desk.now)
    calls = [
        # key, day of the month, requester, title, (category, subcategory),
        # minutes to the first reply, minutes to the resolution, closing (score, comment) or None
        ("month-met", 10, "tom", "Docking station: no network after the firmware update",
         ("Network", "Office network"), 10, 120, (5, "Sorted out within two hours, thank you.")),
        ("month-late", 11, "alice", "Laptop does not start after the BIOS update",
         ("Hardware", "Laptop"), 15, 2 * 1440, (2, "Two days without a laptop.")),
        ("month-slow", 12, "liwei", "打印机卡纸，整层楼无法打印",
         ("Hardware", "Printer"), 90, 1440, None),
    ]  # fmt: skip
    for key, day, requester, title, (top, sub), reply, resolve, rating in calls:
        s = Story(desk, key, first + (day - 1) * DAY + timedelta(hours=9))
        s.create(
            actor=bob,
            requester=u(requester),
            channel="phone",
            title=title,
            description="Reported by phone; the caller cannot work.",
            service=svc["Service desk"],
            category=cat[(None, top)],
            subcategory=cat[(top, sub)],
            impact=2,
            urgency=1,
            support_group=group,
        )
        s.after(reply - 5).do(services.incident_assign, actor=carol, assignee=bob)
        s.after(5).say(bob, "We are on it; an engineer will call you back shortly.")
        s.after(1).move("in_progress", bob)
        s.t = s.t - timedelta(minutes=reply + 1) + timedelta(minutes=resolve)
        s.move(
            "resolved",
            bob,
            resolution_code="solved",
            resolution_notes="Fixed on site; the caller confirmed it works.",
        )
        if rating is not None:
            score, comment = rating
            s.after(60).move("closed", u(requester), csat_score=score, csat_comment=comment)
        else:
            s.t += desk.auto_close + timedelta(minutes=30)
            s.move("closed", None)
        s.commit()
