import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.files.uploadedfile import SimpleUploadedFile

from incidents import selectors, services
from incidents import workflow as wf
from incidents.permissions import IncidentPolicy
from servicedesk.errors import NotFound, PermissionDenied
from servicedesk.models import Attachment

from ..factories import OrganisationFactory, SupportGroupFactory, UserFactory
from .helpers import drive_to

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 64


def png():
    return SimpleUploadedFile("screen.png", PNG)


@pytest.fixture
def colleague(organisation):
    return UserFactory(username="colleague", roles=["Requester"], organisation=organisation)


@pytest.fixture
def colleagues_record(colleague, service):
    return services.incident_create(actor=colleague, title="Colleague's printer", service=service)


@pytest.fixture
def others_record(other_requester, service):
    return services.incident_create(actor=other_requester, title="Someone else's", service=service)


# IncidentPolicy.visible_to


@pytest.mark.parametrize("role", ["agent", "group_manager", "change_manager", "administrator"])
def test_agents_see_every_record(request, incident, others_record, role):
    visible = IncidentPolicy.visible_to(request.getfixturevalue(role))
    assert set(visible) == {incident, others_record}


def test_requester_sees_only_their_own_records(requester, incident, others_record, colleagues_record):
    assert list(IncidentPolicy.visible_to(requester)) == [incident]


def test_organisation_sharing_shows_colleagues_records(
    requester, organisation, incident, colleagues_record, others_record
):
    organisation.shares_records = True
    organisation.save(update_fields=["shares_records"])
    requester.refresh_from_db()
    assert set(IncidentPolicy.visible_to(requester)) == {incident, colleagues_record}


def test_inactive_organisation_shares_nothing(requester, organisation, incident, colleagues_record):
    organisation.shares_records = True
    organisation.is_active = False
    organisation.save(update_fields=["shares_records", "is_active"])
    requester.refresh_from_db()
    assert list(IncidentPolicy.visible_to(requester)) == [incident]


def test_requester_without_organisation_sees_own_records(service):
    loner = UserFactory(roles=["Requester"])
    mine = services.incident_create(actor=loner, title="x", service=service)
    OrganisationFactory(shares_records=True)
    assert list(IncidentPolicy.visible_to(loner)) == [mine]


@pytest.mark.parametrize("role", ["requester", "agent"])
def test_inactive_user_sees_nothing(request, incident, role):
    user = request.getfixturevalue(role)
    user.is_active = False
    user.save(update_fields=["is_active"])
    assert not IncidentPolicy.visible_to(user).exists()


@pytest.mark.parametrize("user", [None, AnonymousUser()], ids=["none", "anonymous"])
def test_nobody_sees_anything(incident, user):
    assert not IncidentPolicy.visible_to(user).exists()


def test_shared_colleague_may_comment_but_not_act(requester, organisation, colleagues_record):
    organisation.shares_records = True
    organisation.save(update_fields=["shares_records"])
    requester.refresh_from_db()
    assert IncidentPolicy.can_comment(requester, colleagues_record)
    assert services.allowed_transitions(record=colleagues_record, user=requester) == []
    with pytest.raises(PermissionDenied):
        services.incident_transition(record=colleagues_record, actor=requester, to=wf.CANCELLED, reason="x")


@pytest.mark.parametrize(
    ("role", "expected"),
    [("requester", False), ("agent", False), ("change_manager", False), ("group_manager", True)],
)
def test_only_group_managers_declare_major_incidents(request, incident, role, expected):
    user = request.getfixturevalue(role)
    assert IncidentPolicy.can_declare_major(user, incident) is expected
    if expected:
        record = services.incident_declare_major(
            record=incident, actor=user, is_major=True, reason="Site down"
        )
        assert record.is_major
    else:
        with pytest.raises(PermissionDenied):
            services.incident_declare_major(record=incident, actor=user, is_major=True)


def test_service_request_cannot_be_a_major_incident(service_request, group_manager):
    with pytest.raises(PermissionDenied):
        services.incident_declare_major(record=service_request, actor=group_manager, is_major=True)


# incident_get_for_user


def test_requester_gets_own_record_by_number_and_id(requester, incident):
    assert selectors.incident_get_for_user(user=requester, number=incident.number) == incident
    assert selectors.incident_get_for_user(user=requester, pk=incident.pk) == incident


@pytest.mark.parametrize("how", ["number", "pk"])
def test_other_requesters_record_is_not_found(requester, others_record, how):
    lookup = {"number": others_record.number} if how == "number" else {"pk": others_record.pk}
    with pytest.raises(NotFound):
        selectors.incident_get_for_user(user=requester, **lookup)


@pytest.mark.parametrize(
    "lookup",
    [
        {"pk": "abc"},
        {"pk": None},
        {"pk": -1},
        {"pk": 2**70},
        {"number": ""},
        {"number": "INC9999999"},
        {"number": "'; DROP TABLE incidents_incident; --"},
        {"pk": [1, 2]},
    ],
    ids=["text id", "no id", "negative", "huge", "empty number", "unknown number", "injection", "list"],
)
def test_bad_lookup_is_not_found(agent, incident, lookup):
    with pytest.raises(NotFound):
        selectors.incident_get_for_user(user=agent, **lookup)


def test_record_of_another_kind_is_not_found(agent, incident):
    with pytest.raises(NotFound):
        selectors.incident_get_for_user(user=agent, number=incident.number, kind="request")


def test_anonymous_gets_not_found(incident):
    with pytest.raises(NotFound):
        selectors.incident_get_for_user(user=AnonymousUser(), number=incident.number)


# incident_queue


@pytest.fixture
def queue_records(requester, agent, group_manager, service, support_group):
    other_group = SupportGroupFactory(name="Network", members=[group_manager])
    records = {
        "unassigned": services.incident_create(actor=requester, title="unassigned", service=service),
        "mine": services.incident_create(actor=agent, title="mine", service=service, assignee=agent),
        "manager's": services.incident_create(
            actor=agent, title="manager's", service=service, assignee=group_manager
        ),
        "other group": services.incident_create(
            actor=agent, title="other group", service=service, support_group=other_group
        ),
    }
    records["mine resolved"] = drive_to(
        services.incident_create(actor=agent, title="mine resolved", service=service, assignee=agent),
        wf.RESOLVED,
        agent=agent,
    )
    records["closed"] = drive_to(
        services.incident_create(actor=requester, title="closed", service=service), wf.CLOSED, agent=agent
    )
    return records


def titles(queryset):
    return {record.title for record in queryset}


@pytest.mark.parametrize(
    ("view", "expected"),
    [
        ("mine", {"mine", "mine resolved"}),
        ("groups", {"unassigned"}),
        ("open", {"unassigned", "mine", "manager's", "other group"}),
        ("all", {"unassigned", "mine", "manager's", "other group", "mine resolved", "closed"}),
    ],
)
def test_queue_views_show_their_records(agent, queue_records, view, expected):
    assert titles(selectors.incident_queue(user=agent, view=view)) == expected


def test_queue_for_a_requester_holds_only_their_records(requester, queue_records):
    assert titles(selectors.incident_queue(user=requester, view="all")) == {"unassigned", "closed"}


def test_queue_is_sorted_by_priority_then_age(agent, service):
    low = services.incident_create(actor=agent, title="low", service=service, impact=3, urgency=3)
    high = services.incident_create(actor=agent, title="high", service=service, impact=1, urgency=1)
    older_mid = services.incident_create(actor=agent, title="mid 1", service=service, impact=2, urgency=2)
    newer_mid = services.incident_create(actor=agent, title="mid 2", service=service, impact=2, urgency=2)
    assert list(selectors.incident_queue(user=agent, view="open")) == [high, older_mid, newer_mid, low]


def test_queue_filters_by_kind(agent, incident, service_request):
    assert list(selectors.incident_queue(user=agent, view="open", kind="request")) == [service_request]


# incident_timeline


@pytest.fixture
def busy_record(incident, agent, requester):
    services.incident_comment(record=incident, actor=requester, body="Public question")
    services.incident_comment(record=incident, actor=agent, body="Internal note", is_public=False)
    services.incident_update(record=incident, actor=agent, urgency=1)
    services.incident_attach(record=incident, actor=agent, uploads=[png()], is_public=False)
    services.incident_comment(record=incident, actor=agent, body="Public answer")
    incident.refresh_from_db()
    return incident


def test_requester_timeline_hides_work_notes_and_internal_entries(busy_record, requester):
    timeline = list(selectors.incident_timeline(record=busy_record, user=requester))
    assert timeline
    assert all(entry.is_public for entry in timeline)
    assert {e.kind for e in timeline} == {"comment"}
    assert [e.body for e in timeline] == ["Public question", "Public answer"]


def test_agent_timeline_shows_everything(busy_record, agent):
    kinds = [e.kind for e in selectors.incident_timeline(record=busy_record, user=agent)]
    assert {"comment", "work_note", "field_change", "attachment"} <= set(kinds)


# incident_attachment_get_for_user


@pytest.fixture
def files(incident, agent, requester, others_record, other_requester):
    public = services.incident_attach(record=incident, actor=requester, uploads=[png()]).attachments.get()
    internal = services.incident_attach(
        record=incident, actor=agent, uploads=[png()], is_public=False
    ).attachments.get()
    foreign = services.incident_attach(record=others_record, actor=other_requester, uploads=[png()])
    return {"public": public, "internal": internal, "foreign": foreign.attachments.get()}


def test_requester_gets_a_public_attachment_of_their_record(files, requester, incident):
    attachment, record = selectors.incident_attachment_get_for_user(
        user=requester, attachment_id=files["public"].pk
    )
    assert (attachment, record) == (files["public"], incident)


@pytest.mark.parametrize("which", ["internal", "foreign"])
def test_requester_does_not_get_internal_or_others_attachments(files, requester, which):
    with pytest.raises(NotFound):
        selectors.incident_attachment_get_for_user(user=requester, attachment_id=files[which].pk)


@pytest.mark.parametrize("which", ["public", "internal", "foreign"])
def test_agent_gets_every_attachment(files, agent, which):
    attachment, _record = selectors.incident_attachment_get_for_user(
        user=agent, attachment_id=files[which].pk
    )
    assert attachment == files[which]


@pytest.mark.parametrize("attachment_id", [0, "x", None, 2**70, -5])
def test_bad_attachment_id_is_not_found(files, agent, attachment_id):
    with pytest.raises(NotFound):
        selectors.incident_attachment_get_for_user(user=agent, attachment_id=attachment_id)


def test_inactive_requester_gets_no_attachment(files, requester):
    requester.is_active = False
    requester.save(update_fields=["is_active"])
    with pytest.raises(NotFound):
        selectors.incident_attachment_get_for_user(user=requester, attachment_id=files["public"].pk)


def test_agent_gets_a_merged_duplicates_attachment(files, agent, incident, service, requester):
    target = services.incident_create(actor=requester, title="master", service=service)
    services.incident_merge(duplicate=incident, target=target, actor=agent)
    attachment, _record = selectors.incident_attachment_get_for_user(
        user=agent, attachment_id=files["internal"].pk
    )
    assert attachment == files["internal"]
    assert Attachment.objects.count() == 3
