"""Links between records through registered link types, proven on the test-only kind's two types
(tests/kernelkind/links.py): `blocks` (many to many) and `part_of` (a chore is part of at most one other).
The services, the selector, the timeline on both records, webhooks, the API and the kernel's page."""

import json
import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from servicedesk.errors import Conflict, NotFound, PermissionDenied
from servicedesk.models import OutboxMessage, RecordLink, TimelineEntry
from servicedesk.records import links as registry
from servicedesk.records.linking import SYSTEM, record_link, record_unlink
from servicedesk.records.links import INCOMING, OUTGOING, LinkType
from servicedesk.records.selectors import record_links
from servicedesk.services.webhooks import webhook_events, webhook_subscription_create
from tests.kernelkind.links import BLOCKS, PART_OF
from tests.kernelkind.models import Chore
from tests.kernelkind.records import PUBLISHED
from tests.kernelkind.services import chore_create


@pytest.fixture
def chores(chore, requester):
    """Three more chores of the same requester: `chore` and these are A, B, C, D."""
    return [chore, *(chore_create(actor=requester, title=f"Chore {name}") for name in "BCD")]


def link_entries(record):
    return list(
        TimelineEntry.objects.filter(
            content_type__model="chore", object_id=record.pk, kind=TimelineEntry.Kind.LINK
        ).order_by("id")
    )


def fresh(record):
    return Chore.objects.get(pk=record.pk)


def other_ends(links):
    return [(link.link_type.code, link.direction, link.record.number) for link in links]


# Services


def test_a_link_is_recorded_on_both_records(chores, worker, audit_log):
    a, b = chores[:2]
    PUBLISHED.clear()
    versions = (a.version, b.version)

    link = record_link(actor=worker, link_type="blocks", source=a, target=b)

    assert (link.source_id, link.target_id, link.created_by) == (a.pk, b.pk, worker)
    assert (fresh(a).version, fresh(b).version) == (versions[0] + 1, versions[1] + 1)
    [on_a], [on_b] = link_entries(a), link_entries(b)
    assert on_a.data == {
        "link": "blocks",
        "direction": OUTGOING,
        "action": "linked",
        "number": b.number,
        "title": b.title,
    }
    assert on_b.data["direction"] == INCOMING
    assert on_b.data["number"] == a.number
    assert not on_a.is_public
    assert on_a.author == worker
    assert audit_log.actions() == ["chore.linked"]
    assert audit_log.events()[0].data == {"link": "blocks", "source": a.number, "target": b.number}
    assert list(PUBLISHED) == [
        (a.number, "linked", {"link": "blocks", "direction": OUTGOING, "number": b.number}),
        (b.number, "linked", {"link": "blocks", "direction": INCOMING, "number": a.number}),
    ]


def test_unlinking_from_either_end_removes_it_and_records_it_on_both(chores, worker, audit_log):
    a, b = chores[:2]
    record_link(actor=worker, link_type="blocks", source=a, target=b)
    PUBLISHED.clear()
    audit_log.mark()

    record_unlink(actor=worker, link_type="blocks", record=b, other=a)

    assert not RecordLink.objects.exists()
    assert [e.data["action"] for e in link_entries(a)] == ["linked", "unlinked"]
    assert link_entries(b)[-1].data | {"title": ""} == {
        "link": "blocks",
        "direction": INCOMING,
        "action": "unlinked",
        "number": a.number,
        "title": "",
    }
    assert audit_log.actions() == ["chore.unlinked"]
    assert [(number, event) for number, event, _data in PUBLISHED] == [
        (a.number, "unlinked"),
        (b.number, "unlinked"),
    ]
    with pytest.raises(NotFound) as missing:
        record_unlink(actor=worker, link_type="blocks", record=a, other=b)
    assert missing.value.code == "link_not_found"


def test_two_records_are_linked_once_by_a_type_whichever_way(chores, worker):
    a, b = chores[:2]
    record_link(actor=worker, link_type="blocks", source=a, target=b)
    for source, target in ((a, b), (b, a)):
        with pytest.raises(Conflict) as twice:
            record_link(actor=worker, link_type="blocks", source=source, target=target)
        assert twice.value.code == "link_exists"
    record_link(actor=worker, link_type="part_of", source=a, target=b)  # another type may join them
    assert RecordLink.objects.count() == 2


def test_a_side_that_takes_one_link_refuses_a_second(chores, worker):
    a, b, c, d = chores
    record_link(actor=worker, link_type="part_of", source=a, target=b)
    with pytest.raises(Conflict) as second:
        record_link(actor=worker, link_type="part_of", source=a, target=c)
    assert second.value.code == "link_limit"
    assert a.number in str(second.value.message)
    record_link(actor=worker, link_type="part_of", source=c, target=b)  # a whole has many parts
    record_link(actor=worker, link_type="blocks", source=a, target=c)  # blocks: many
    record_link(actor=worker, link_type="blocks", source=a, target=d)
    record_unlink(actor=worker, link_type="part_of", record=a, other=b)
    record_link(actor=worker, link_type="part_of", source=a, target=d)  # free again
    assert RecordLink.objects.filter(link_type="part_of").count() == 2


def test_what_the_type_does_not_accept_is_a_field_error(chores, worker, monkeypatch):
    a, b = chores[:2]
    with pytest.raises(ValidationError) as itself:
        record_link(actor=worker, link_type="blocks", source=a, target=a)
    assert "number" in itself.value.message_dict
    with pytest.raises(ValidationError) as unknown:
        record_link(actor=worker, link_type="nonsense", source=a, target=b)
    assert "type" in unknown.value.message_dict
    elsewhere = LinkType(
        code="fixes", source_kind="chore", target_kind="incident", label="F", reverse_label="f"
    )
    monkeypatch.setitem(registry._TYPES, "fixes", elsewhere)
    with pytest.raises(ValidationError) as kinds:
        record_link(actor=worker, link_type="fixes", source=a, target=b)
    assert "type" in kinds.value.message_dict
    assert not RecordLink.objects.exists()


def test_who_may_not_see_or_link_is_refused(chores, worker, requester, other_requester):
    a, b = chores[:2]
    with pytest.raises(NotFound):
        record_link(actor=other_requester, link_type="blocks", source=a, target=b)
    with pytest.raises(PermissionDenied):  # sees both, but is no agent of chores
        record_link(actor=requester, link_type="blocks", source=a, target=b)
    record_link(actor=worker, link_type="blocks", source=a, target=b)
    with pytest.raises(PermissionDenied):
        record_unlink(actor=requester, link_type="blocks", record=a, other=b)
    record_link(actor=SYSTEM, link_type="part_of", source=a, target=b)  # the system is not asked
    assert RecordLink.objects.count() == 2


def test_a_types_guard_refuses_with_its_reason(chores, worker, monkeypatch):
    a, b = chores[:2]
    guarded = LinkType(
        code="follows",
        source_kind="chore",
        target_kind="chore",
        label="Follows",
        reverse_label="Followed by",
        guard=lambda source, target: "Not before it is done." if target.status != "done" else None,
    )
    monkeypatch.setitem(registry._TYPES, "follows", guarded)
    with pytest.raises(Conflict) as refused:
        record_link(actor=worker, link_type="follows", source=a, target=b)
    assert (refused.value.code, str(refused.value.message)) == ("link_refused", "Not before it is done.")


# Webhooks


def test_link_events_are_offered_to_webhooks_and_published(chores, worker, administrator):
    assert {"chore.linked", "chore.unlinked"} <= set(webhook_events())
    webhook_subscription_create(
        actor=administrator, name="Links", url="https://hooks.example.com/links", events=["chore.linked"]
    )
    a, b = chores[:2]
    record_link(actor=worker, link_type="blocks", source=a, target=b)
    bodies = [
        json.loads(m.payload["body"])
        for m in OutboxMessage.objects.filter(channel=OutboxMessage.Channel.WEBHOOK, event="chore.linked")
    ]
    assert sorted((b["record"]["number"], b["data"]["direction"]) for b in bodies) == [
        (a.number, OUTGOING),
        (b.number, INCOMING),
    ]


# The selector


def test_a_records_links_are_those_whose_other_end_the_user_sees(chores, worker, requester, other_requester):
    a, b, c, _d = chores
    hidden = chore_create(actor=other_requester, title="Not yours")
    record_link(actor=worker, link_type="part_of", source=a, target=hidden)
    record_link(actor=worker, link_type="blocks", source=c, target=a)
    record_link(actor=worker, link_type="blocks", source=a, target=b)

    assert other_ends(record_links(record=a, user=worker)) == [
        ("blocks", OUTGOING, b.number),
        ("blocks", INCOMING, c.number),
        ("part_of", OUTGOING, hidden.number),
    ]
    assert other_ends(record_links(record=a, user=requester)) == [
        ("blocks", OUTGOING, b.number),
        ("blocks", INCOMING, c.number),
    ]
    assert other_ends(record_links(record=a, user=worker, types=["part_of"])) == [
        ("part_of", OUTGOING, hidden.number)
    ]
    [first, *_rest] = record_links(record=a, user=worker)
    assert (str(first.label), first.url, first.created_by) == ("Blocks", f"/records/{b.number}/", worker)


def test_the_selector_runs_a_constant_number_of_queries(chore, requester, worker, django_assert_num_queries):
    def count_for(n):
        for i in range(n):
            record_link(
                actor=worker,
                link_type="blocks",
                source=chore,
                target=chore_create(actor=requester, title=f"{i}"),
            )
        with django_assert_num_queries(2):  # the links, the chores at their other ends
            return len(record_links(record=chore, user=worker))

    assert count_for(1) == 1
    assert count_for(5) == 6


# The API


def api(record, tail=""):
    return f"/api/v1/chores/{record.number}/links/{tail}"


def test_the_api_lists_links_with_the_other_record(api_as, chores, worker, requester):
    a, b, c, _d = chores
    record_link(actor=worker, link_type="blocks", source=a, target=b)
    record_link(actor=worker, link_type="part_of", source=c, target=a)

    listed = api_as(requester).get(api(a))

    assert listed.status_code == 200
    assert [(row["type"], row["direction"], row["label"], row["number"]) for row in listed.json()] == [
        ("blocks", OUTGOING, "Blocks", b.number),
        ("part_of", INCOMING, "Parts", c.number),
    ]
    assert listed.json()[0] | {"created_at": None} == {
        "type": "blocks",
        "direction": OUTGOING,
        "label": "Blocks",
        "kind": "chore",
        "number": b.number,
        "title": b.title,
        "status": "open",
        "url": f"/records/{b.number}/",
        "created_at": None,
        "created_by": listed.json()[0]["created_by"],
    }
    assert listed.json()[0]["created_by"]["id"] == worker.pk
    only = api_as(requester).get(api(a), {"type": "part_of"})
    assert [row["number"] for row in only.json()] == [c.number]
    assert api_as(requester).get(api(a), {"type": "nonsense"}).status_code == 400


def test_the_list_runs_a_constant_number_of_queries(
    api_as, chore, requester, worker, django_assert_max_num_queries
):
    for i in range(6):
        record_link(
            actor=worker, link_type="blocks", source=chore, target=chore_create(actor=requester, title=f"{i}")
        )
    client = api_as(worker)
    with django_assert_max_num_queries(6):
        assert len(client.get(api(chore)).json()) == 6


def test_linking_through_the_api(api_as, chores, worker):
    a, b, c, _d = chores
    client = api_as(worker)

    made = client.post(api(a), {"type": "blocks", "number": b.number.lower()}, format="json")
    assert made.status_code == 201
    assert (made.json()["number"], made.json()["direction"]) == (b.number, OUTGOING)
    reverse = client.post(
        api(a), {"type": "blocks", "number": c.number, "direction": INCOMING}, format="json"
    )
    assert reverse.status_code == 201
    assert RecordLink.objects.filter(source_id=c.pk, target_id=a.pk).exists()

    twice = client.post(api(b), {"type": "blocks", "number": a.number}, format="json")
    assert (twice.status_code, twice.json()["code"]) == (409, "link_exists")
    client.post(api(a), {"type": "part_of", "number": b.number}, format="json")
    second = client.post(api(a), {"type": "part_of", "number": c.number}, format="json")
    assert (second.status_code, second.json()["code"]) == (409, "link_limit")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"number": "TST0000002"}, "type"),
        ({"type": "blocks"}, "number"),
        ({"type": "nonsense", "number": "TST0000002"}, "type"),
        ({"type": "blocks", "number": "TST0000002", "direction": "sideways"}, "direction"),
        ({"type": "blocks", "number": "TST9999999"}, "number"),
        ({"type": "blocks", "number": "not a number"}, "number"),
    ],
)
def test_bad_input_is_a_field_error(api_as, chores, worker, body, field):
    answer = api_as(worker).post(api(chores[0]), body, format="json")
    assert answer.status_code == 400
    assert field in answer.json()["fields"]
    assert not RecordLink.objects.exists()


def test_what_the_caller_may_not_see_or_do(api_as, chores, worker, requester, other_requester):
    a, b = chores[:2]
    hidden = chore_create(actor=other_requester, title="Not yours")
    assert api_as(other_requester).get(api(a)).status_code == 404
    assert (
        api_as(other_requester)
        .post(api(a), {"type": "blocks", "number": b.number}, format="json")
        .status_code
        == 404
    )
    not_visible = api_as(requester).post(api(a), {"type": "blocks", "number": hidden.number}, format="json")
    assert (not_visible.status_code, list(not_visible.json()["fields"])) == (400, ["number"])
    refused = api_as(requester).post(api(a), {"type": "blocks", "number": b.number}, format="json")
    assert refused.status_code == 403
    itself = api_as(worker).post(api(a), {"type": "blocks", "number": a.number}, format="json")
    assert (itself.status_code, list(itself.json()["fields"])) == (400, ["number"])
    assert not RecordLink.objects.exists()


def test_unlinking_through_the_api(api_as, chores, worker, requester, other_requester):
    a, b, c, _d = chores
    hidden = chore_create(actor=other_requester, title="Not yours")
    record_link(actor=worker, link_type="blocks", source=a, target=b)
    record_link(actor=worker, link_type="blocks", source=hidden, target=a)

    assert api_as(requester).delete(api(b, f"blocks/{a.number}/")).status_code == 403
    assert api_as(requester).delete(api(a, f"blocks/{hidden.number}/")).status_code == 404
    assert api_as(worker).delete(api(a, f"nonsense/{b.number}/")).status_code == 404
    assert api_as(worker).delete(api(a, f"blocks/{c.number}/")).status_code == 404
    gone = api_as(worker).delete(api(b, f"blocks/{a.number}/"))
    assert gone.status_code == 204
    assert api_as(worker).delete(api(b, f"blocks/{a.number}/")).status_code == 404
    assert list(RecordLink.objects.values_list("source_id", flat=True)) == [hidden.pk]


# The page and the timeline


def page(record, tail=""):
    return f"/records/{record.number}/{tail}"


def test_the_page_shows_links_and_forms_to_each_role(client, chores, worker, requester, other_requester):
    a, b = chores[:2]
    record_link(actor=worker, link_type="blocks", source=a, target=b)

    client.force_login(worker)
    html = client.get(page(b)).content.decode()
    assert f'data-testid="link" data-link="blocks" data-number="{a.number}"' in html
    assert "Blocked by" in html
    assert 'data-testid="link-form"' in html
    assert '<option value="outgoing:blocks">Blocks</option>' in html
    assert '<option value="incoming:part_of">Parts</option>' in html
    assert 'data-testid="unlink-form"' in html

    client.force_login(requester)
    html = client.get(page(b)).content.decode()
    assert f'data-number="{a.number}"' in html
    assert 'data-testid="link-form"' not in html
    assert 'data-testid="unlink-form"' not in html
    assert 'data-testid="link-entry"' not in html  # link entries are internal

    client.force_login(other_requester)
    assert client.get(page(b)).status_code == 404


def test_link_and_unlink_from_the_page_and_submitting_twice_is_harmless(client, chores, worker):
    a, b = chores[:2]
    client.force_login(worker)
    form = {"link": "incoming:blocks", "number": a.number}

    for _twice in range(2):
        answer = client.post(page(b, "link/"), form)
        assert (answer.status_code, answer["Location"]) == (302, page(b))
    assert list(RecordLink.objects.values_list("source_id", "target_id")) == [(a.pk, b.pk)]
    html = client.get(page(b)).content.decode()
    assert "already linked" in html

    for _twice in range(2):
        answer = client.post(page(a, "unlink/"), {"type": "blocks", "number": b.number})
        assert (answer.status_code, answer["Location"]) == (302, page(a))
    assert not RecordLink.objects.exists()
    assert [e.data["action"] for e in link_entries(a)] == ["linked", "unlinked"]


def test_a_refused_link_shows_why_on_the_page(client, chores, worker, requester):
    a, b, c, _d = chores
    client.force_login(worker)
    client.post(page(a, "link/"), {"link": "outgoing:part_of", "number": b.number})
    second = client.post(page(a, "link/"), {"link": "outgoing:part_of", "number": c.number})
    assert second.status_code == 409
    assert 'data-testid="record-error"' in second.content.decode()
    missing = client.post(page(a, "link/"), {"link": "outgoing:blocks", "number": "TST9999999"})
    assert missing.status_code == 400
    client.force_login(requester)
    assert client.post(page(a, "link/"), {"link": "outgoing:blocks", "number": c.number}).status_code == 403
    assert RecordLink.objects.count() == 1


def test_the_timeline_reads_link_entries_on_both_records(client, chores, worker):
    a, b = chores[:2]
    record_link(actor=worker, link_type="blocks", source=a, target=b)
    record_unlink(actor=worker, link_type="blocks", record=a, other=b)
    client.force_login(worker)

    html = client.get(page(b)).content.decode()
    assert f'Linked to <a href="/records/{a.number}/">{a.number}</a> — {a.title}' in html
    assert f'Unlinked from <a href="/records/{a.number}/">{a.number}</a>' in html
    assert "Blocked by" in html
    assert "Blocks" in client.get(page(a)).content.decode()


def test_the_page_runs_a_constant_number_of_queries(
    client, chore, requester, worker, django_assert_max_num_queries
):
    client.force_login(worker)
    client.get(page(chore))
    for i in range(5):
        other = chore_create(actor=requester, title=f"{i}")
        record_link(actor=worker, link_type="blocks", source=chore, target=other)
    with django_assert_max_num_queries(22):
        html = client.get(page(chore)).content.decode()
    assert html.count('data-testid="link" ') == 5


def test_the_chores_link_types_are_registered():
    assert registry.link_type("blocks") is BLOCKS
    assert registry.link_type("part_of") is PART_OF
    assert [(t.code, d) for t, d in registry.link_types_for("chore")][:4] == [
        ("blocks", OUTGOING),
        ("blocks", INCOMING),
        ("part_of", OUTGOING),
        ("part_of", INCOMING),
    ]


@pytest.mark.django_db(transaction=True)
def test_two_links_at_once_on_a_side_that_takes_one_leave_one(requester, worker):
    """Both requests read "no whole yet" only if nothing serialises them: the lock on the chore does."""
    part, *wholes = (chore_create(actor=requester, title=name) for name in ("Part", "Whole 1", "Whole 2"))
    start = threading.Barrier(2)
    outcomes = []

    def link_to(whole):
        try:
            start.wait()
            record_link(actor=worker, link_type="part_of", source=part, target=whole)
            outcomes.append("linked")
        except Conflict as exc:
            outcomes.append(exc.code)
        finally:
            connection.close()

    threads = [threading.Thread(target=link_to, args=(whole,)) for whole in wholes]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes) == ["link_limit", "linked"]
    assert RecordLink.objects.filter(link_type="part_of", source_id=part.pk).count() == 1
