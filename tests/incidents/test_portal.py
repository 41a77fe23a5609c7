"""The requester portal: home and tabs, filing incidents and requests, the record page and its actions."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from incidents import services
from incidents import workflow as wf
from incidents.models import Incident
from incidents.selectors import incident_timeline, request_type_catalogue
from incidents.templatetags.incidents import status_badge
from servicedesk import roles
from servicedesk.models import Attachment, TimelineEntry

from ..factories import OrganisationFactory, UserFactory
from .factories import BusinessServiceFactory, IncidentFactory, RequestTypeFactory

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
)


def _html(response) -> str:
    return response.content.decode()


def _png(name="screen.png"):
    return SimpleUploadedFile(name, PNG, content_type="image/png")


def _text(name="notes.txt", body=b"Started after the update."):
    return SimpleUploadedFile(name, body, content_type="text/plain")


def _detail(record) -> str:
    return reverse("record", args=[record.number])


def _action(name, record) -> str:
    return reverse(f"incidents:{name}", args=[record.number])


def _resolve(record, agent, notes="Restarted the mail server."):
    record = services.incident_transition(record=record, actor=agent, to="in_progress")
    return services.incident_transition(
        record=record, actor=agent, to="resolved", resolution_code="solved", resolution_notes=notes
    )


def _numbers(response) -> list[str]:
    return [record.number for record in response.context["page"]]


@pytest.fixture
def colleague(db, organisation):
    return UserFactory(username="colleague", roles=[roles.REQUESTER], organisation=organisation)


@pytest.fixture
def as_requester(client, requester):
    client.force_login(requester)
    return client


# Home and the list of my records


@pytest.mark.parametrize("url", ["/", "/portal/"])
def test_the_portal_home_lists_my_records_with_status_and_the_two_actions(as_requester, incident, url):
    response = as_requester.get(url)

    assert response.status_code == 200
    html = _html(response)
    assert _numbers(response) == [incident.number]
    assert "Outlook does not start" in html
    assert '<span class="badge text-bg-info" data-testid="status-badge">New</span>' in html
    assert reverse("incidents:portal_new_incident") in html
    assert reverse("incidents:portal_catalogue") in html
    assert "Welcome," in html


def test_the_tabs_split_open_and_resolved_records(as_requester, incident, service_request, agent):
    _resolve(incident, agent)

    assert _numbers(as_requester.get("/portal/")) == [service_request.number]
    assert _numbers(as_requester.get("/portal/?tab=resolved")) == [incident.number]
    assert set(_numbers(as_requester.get("/portal/?tab=all"))) == {incident.number, service_request.number}
    tabs = as_requester.get("/portal/?tab=all").context["tabs"]
    assert [(key, count) for key, _label, count in tabs] == [("open", 1), ("resolved", 1), ("all", 2)]


def test_the_list_shows_neither_other_requesters_records_nor_all_records_to_an_agent(
    client, requester, other_requester, agent, incident
):
    theirs = IncidentFactory(requester=other_requester)
    agents_own = IncidentFactory(requester=agent)

    client.force_login(requester)
    assert _numbers(client.get("/portal/?tab=all")) == [incident.number]
    client.force_login(agent)
    assert _numbers(client.get("/portal/?tab=all")) == [agents_own.number]
    assert theirs.number not in _html(client.get("/portal/?tab=all"))


@pytest.mark.parametrize("shares", [True, False])
def test_organisation_sharing_decides_whether_colleagues_records_show(
    client, requester, colleague, organisation, shares
):
    organisation.shares_records = shares
    organisation.save()
    theirs = services.incident_create(actor=colleague, title="Printer jam", description="Again.")
    client.force_login(requester)

    listed = theirs.number in _numbers(client.get("/portal/?tab=all"))
    page = client.get(_detail(theirs))

    assert listed is shares
    assert page.status_code == (200 if shares else 404)
    if shares:
        # A colleague follows the record but may not confirm, reopen or withdraw it.
        assert 'data-testid="record-actions"' not in _html(page)


def test_the_list_is_paginated(as_requester, requester):
    for _ in range(25):
        IncidentFactory(requester=requester)

    first = as_requester.get("/portal/")
    second = as_requester.get("/portal/?page=2")

    assert len(first.context["page"]) == 20
    assert len(second.context["page"]) == 5
    assert "Page 1 of 2" in _html(first)


@pytest.mark.parametrize("count", [5, 40])
def test_the_list_runs_a_constant_number_of_queries(
    client, requester, organisation, count, django_assert_max_num_queries
):
    organisation.shares_records = True
    organisation.save()
    service = BusinessServiceFactory()
    for index in range(count):
        resolved = {"status": "resolved", "resolution_code": "solved"} if index % 2 else {}
        IncidentFactory(requester=requester, service=service, **resolved)
    client.force_login(requester)

    # 8 for the records; 5 for what waits (records, approvals), the outages and what they follow; 1 for
    # the bell's unread count.
    with django_assert_max_num_queries(14):
        response = client.get("/portal/?tab=all")

    assert response.status_code == 200


# Filing an incident


def test_the_incident_form_renders_with_urgency_in_words(as_requester, service):
    response = as_requester.get(reverse("incidents:portal_new_incident"))

    assert response.status_code == 200
    html = _html(response)
    for words in ("I cannot work", "My work is slowed down", "It is an inconvenience"):
        assert words in html
    assert "Markdown" in html
    assert 'enctype="multipart/form-data"' in html
    assert f'<option value="{service.pk}">E-mail</option>' in html


def test_filing_an_incident_with_an_attachment_creates_and_routes_it(
    as_requester, requester, service, support_group
):
    response = as_requester.post(
        reverse("incidents:portal_new_incident"),
        {
            "title": "Mail is down",
            "description": "Nothing **arrives**.",
            "service": service.pk,
            "urgency": "1",
            "attachments": [_png(), _text()],
        },
        follow=True,
    )

    record = Incident.objects.get(title="Mail is down")
    assert response.redirect_chain == [(_detail(record), 302)]
    assert (record.kind, record.channel, record.requester, record.urgency) == (
        "incident",
        "portal",
        requester,
        1,
    )
    assert record.service == service
    assert record.support_group == support_group
    assert sorted(Attachment.objects.filter(entry__object_id=record.pk).values_list("name", flat=True)) == [
        "notes.txt",
        "screen.png",
    ]
    html = _html(response)
    assert f"Your incident {record.number} is recorded" in html
    assert "<strong>arrives</strong>" in html
    assert "screen.png" in html


def test_a_refused_file_or_a_missing_title_files_nothing(as_requester):
    refused = as_requester.post(
        reverse("incidents:portal_new_incident"),
        {"title": "Mail is down", "description": "x", "urgency": "2", "attachments": [_text("run.exe")]},
    )
    untitled = as_requester.post(
        reverse("incidents:portal_new_incident"), {"title": "", "description": "x", "urgency": "2"}
    )

    assert refused.status_code == 400
    assert "cannot be attached" in _html(refused)
    assert untitled.status_code == 400
    assert Incident.objects.count() == 0


@pytest.mark.parametrize("missing", ["access_portal", "add_incident"])
def test_a_person_without_the_portal_or_filing_permission_cannot_file(client, db, missing):
    person = UserFactory(username="visitor")
    person.user_permissions.add(
        *Permission.objects.filter(codename__in={"access_portal", "add_incident"} - {missing})
    )
    client.force_login(person)
    form = {"title": "Mail is down", "description": "x", "urgency": "2"}

    assert client.get(reverse("incidents:portal_new_incident")).status_code == 403
    assert client.post(reverse("incidents:portal_new_incident"), form).status_code == 403
    assert client.get(reverse("incidents:portal_catalogue")).status_code == 403
    assert Incident.objects.count() == 0


# Requesting something from the catalogue


def test_the_catalogue_lists_services_with_their_active_request_types_in_one_query(
    as_requester, service, request_type, django_assert_num_queries
):
    RequestTypeFactory(name="Retired offer", service=service, is_active=False)
    other = RequestTypeFactory(name="VPN access", service=BusinessServiceFactory(name="Network"))
    with django_assert_num_queries(1):
        rows = [(t.service.name, t.name) for t in request_type_catalogue()]

    assert rows == [("E-mail", "New mailbox"), ("Network", "VPN access")]
    html = _html(as_requester.get(reverse("incidents:portal_catalogue")))
    assert reverse("incidents:portal_new_request", args=[request_type.pk]) in html
    assert reverse("incidents:portal_new_request", args=[other.pk]) in html
    assert "Retired offer" not in html


def test_filing_a_request_from_the_catalogue(as_requester, requester, request_type, support_group):
    url = reverse("incidents:portal_new_request", args=[request_type.pk])
    form = as_requester.get(url)
    assert form.status_code == 200
    assert form.context["form"]["title"].value() == "New mailbox"
    assert form.context["form"]["urgency"].value() == request_type.urgency

    response = as_requester.post(
        url, {"title": "New mailbox for sales", "description": "For 3 people.", "urgency": "2"}, follow=True
    )

    record = Incident.objects.get()
    assert response.redirect_chain == [(_detail(record), 302)]
    assert (record.kind, record.request_type, record.service) == (
        "request",
        request_type,
        request_type.service,
    )
    assert record.number.startswith("REQ")
    assert record.support_group == support_group
    assert f"Your request {record.number} is recorded" in _html(response)


def test_an_inactive_request_type_cannot_be_requested(as_requester, request_type):
    request_type.is_active = False
    request_type.save()

    assert (
        as_requester.get(reverse("incidents:portal_new_request", args=[request_type.pk])).status_code == 404
    )


# The record page


def test_the_record_page_shows_the_record_in_words(as_requester, incident, agent):
    services.incident_transition(record=incident, actor=agent, to="in_progress")

    response = as_requester.get(_detail(incident))

    assert response.status_code == 200
    assert response.templates[0].name == "incidents/portal/record.html"
    html = _html(response)
    assert incident.number in html
    assert "Outlook does not start" in html
    assert "It crashes at once." in html
    assert "P4 low" in html
    assert agent.get_full_name() in html
    assert "E-mail" in html
    assert "Status: New → In progress" in html
    # Only what this person may do: withdraw an open record, not confirm or reopen it.
    assert 'data-testid="withdraw-form"' in html
    assert 'data-testid="close-form"' not in html
    assert 'data-testid="reopen-form"' not in html


def test_a_service_request_page_shows_its_request_type(as_requester, service_request):
    html = _html(as_requester.get(_detail(service_request)))

    assert "New mailbox" in html
    assert "Service request" in html


def test_a_reply_through_the_page_adds_a_public_comment_with_files(as_requester, incident):
    response = as_requester.post(
        _action("portal_reply", incident), {"body": "It still crashes.", "attachments": [_png()]}
    )

    assert response.status_code == 302
    assert response.url == _detail(incident)
    entry = TimelineEntry.objects.get(kind="comment", object_id=incident.pk)
    assert (entry.body, entry.is_public, entry.attachments.count()) == ("It still crashes.", True, 1)


def test_an_htmx_reply_answers_the_record_body_with_the_new_comment(as_requester, incident):
    response = as_requester.post(
        _action("portal_reply", incident), {"body": "It still crashes."}, headers={"HX-Request": "true"}
    )

    assert response.status_code == 200
    html = _html(response)
    assert "<html" not in html
    assert 'id="record-body"' in html
    assert "It still crashes." in html
    assert "Your reply was added." in html


def test_an_empty_htmx_reply_answers_400_with_the_error(as_requester, incident):
    response = as_requester.post(
        _action("portal_reply", incident), {"body": ""}, headers={"HX-Request": "true"}
    )

    assert response.status_code == 400
    assert "Write something or attach a file." in _html(response)
    assert not TimelineEntry.objects.filter(kind="comment").exists()


def test_a_reply_to_a_resolved_record_reopens_it_and_says_so(as_requester, incident, agent):
    _resolve(incident, agent)
    page = _html(as_requester.get(_detail(incident)))
    assert "your reply will reopen it" in page

    response = as_requester.post(_action("portal_reply", incident), {"body": "Broken again."}, follow=True)

    incident.refresh_from_db()
    assert incident.status == "in_progress"
    assert f"Your reply reopened {incident.number}" in _html(response)


def test_answering_a_record_waiting_for_me_resumes_it(as_requester, incident, agent):
    record = services.incident_transition(record=incident, actor=agent, to="in_progress")
    services.incident_transition(record=record, actor=agent, to="on_hold", hold_reason="requester")
    assert "waiting for your answer" in _html(as_requester.get(_detail(incident)))

    response = as_requester.post(_action("portal_reply", incident), {"body": "Here it is."}, follow=True)

    incident.refresh_from_db()
    assert incident.status == "in_progress"
    assert f"The service desk is working on {incident.number} again." in _html(response)


def test_reopen_through_the_page_needs_a_reason(as_requester, incident, agent):
    incident = _resolve(incident, agent)
    assert 'data-testid="reopen-form"' in _html(as_requester.get(_detail(incident)))

    refused = as_requester.post(
        _action("portal_reopen", incident), {"reopen-reason": "", "reopen-version": incident.version}
    )
    incident.refresh_from_db()
    assert refused.status_code == 400
    assert incident.status == "resolved"

    response = as_requester.post(
        _action("portal_reopen", incident),
        {"reopen-reason": "Still broken.", "reopen-version": incident.version},
        follow=True,
    )
    incident.refresh_from_db()
    assert incident.status == "in_progress"
    assert incident.reopen_count == 1
    assert f"{incident.number} is reopened" in _html(response)


def test_reopening_after_the_window_is_refused_with_a_message(as_requester, incident, agent):
    incident = _resolve(incident, agent)
    Incident.objects.filter(pk=incident.pk).update(resolved_at=timezone.now() - timedelta(days=30))

    page = _html(as_requester.get(_detail(incident)))
    response = as_requester.post(
        _action("portal_reopen", incident), {"reopen-reason": "Still broken."}, follow=True
    )

    assert 'data-testid="reopen-form"' not in page
    assert "The time to reopen this record has passed" in page
    assert response.status_code == 200
    assert "The time to reopen this record has passed. Please file a new one." in _html(response)
    incident.refresh_from_db()
    assert incident.status == "resolved"


def test_confirming_with_a_rating_closes_and_rates(as_requester, incident, agent):
    incident = _resolve(incident, agent)

    response = as_requester.post(
        _action("portal_close", incident),
        {"close-csat_score": "5", "close-csat_comment": "Quick!", "close-version": incident.version},
        follow=True,
    )

    incident.refresh_from_db()
    assert (incident.status, incident.csat_score, incident.csat_comment) == ("closed", 5, "Quick!")
    html = _html(response)
    assert f"{incident.number} is closed" in html
    assert 'data-testid="rate-form"' not in html


def test_confirming_without_a_rating_offers_the_rating_form_once(as_requester, incident, agent):
    incident = _resolve(incident, agent)
    as_requester.post(_action("portal_close", incident), {"close-version": incident.version})
    incident.refresh_from_db()
    assert (incident.status, incident.csat_score) == ("closed", None)
    assert 'data-testid="rate-form"' in _html(as_requester.get(_detail(incident)))

    as_requester.post(_action("portal_rate", incident), {"rate-score": "4", "rate-comment": "Fine."})
    again = as_requester.post(_action("portal_rate", incident), {"rate-score": "1"}, follow=True)

    incident.refresh_from_db()
    assert (incident.csat_score, incident.csat_comment) == (4, "Fine.")
    assert again.status_code == 200
    assert "This record cannot be rated now." in _html(again)
    assert 'data-testid="rate-form"' not in _html(again)


def test_withdrawing_through_the_page_needs_a_reason(as_requester, incident):
    refused = as_requester.post(_action("portal_withdraw", incident), {"cancel-reason": ""})
    incident.refresh_from_db()
    assert refused.status_code == 400
    assert incident.status == "new"

    response = as_requester.post(
        _action("portal_withdraw", incident), {"cancel-reason": "Found the answer myself."}, follow=True
    )

    incident.refresh_from_db()
    assert incident.status == "cancelled"
    html = _html(response)
    assert f"{incident.number} is withdrawn" in html
    assert 'data-testid="reply-form"' not in html
    assert 'data-testid="record-actions"' not in html


def test_a_stale_form_is_refused_with_a_message(as_requester, incident, agent):
    stale = incident.version
    services.incident_comment(record=incident, actor=agent, body="Looking.")

    response = as_requester.post(
        _action("portal_withdraw", incident),
        {"cancel-reason": "Never mind.", "cancel-version": stale},
        follow=True,
    )

    incident.refresh_from_db()
    assert incident.status == "new"
    assert "has changed since you read it." in _html(response)


def test_a_refused_transition_is_a_message_not_an_error(as_requester, incident):
    response = as_requester.post(_action("portal_close", incident), {}, follow=True)

    assert response.status_code == 200
    incident.refresh_from_db()
    assert incident.status == "new"
    assert "cannot move to" in _html(response)


# What a requester never sees


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("portal_reply", {"body": "Hello"}),
        ("portal_close", {}),
        ("portal_reopen", {"reopen-reason": "x"}),
        ("portal_withdraw", {"cancel-reason": "x"}),
        ("portal_rate", {"rate-score": "5"}),
    ],
)
def test_another_requesters_record_actions_answer_404(client, other_requester, incident, name, data):
    client.force_login(other_requester)

    assert client.post(_action(name, incident), data).status_code == 404
    assert client.post(_action(name, incident), data, headers={"HX-Request": "true"}).status_code == 404
    assert not TimelineEntry.objects.filter(kind="comment").exists()
    incident.refresh_from_db()
    assert incident.status == "new"


def test_another_requesters_record_page_and_attachments_answer_404(
    client, requester, other_requester, service
):
    record = services.incident_create(actor=requester, title="Mine", description="x", uploads=[_png()])
    attachment = Attachment.objects.get(entry__object_id=record.pk)
    client.force_login(other_requester)

    assert client.get(_detail(record)).status_code == 404
    assert client.get(reverse("attachment", args=[attachment.pk])).status_code == 404
    assert client.get("/records/INC9999999/").status_code == 404


def test_work_notes_and_internal_files_never_reach_the_portal(as_requester, incident, agent):
    note = services.incident_comment(
        record=incident,
        actor=agent,
        body="SECRET-NOTE: the user broke it.",
        is_public=False,
        uploads=[_text("internal.log")],
    )
    internal = services.incident_attach(
        record=incident, actor=agent, uploads=[_text("dump.txt")], is_public=False
    )
    services.incident_comment(record=incident, actor=agent, body="We are on it.")

    html = _html(as_requester.get(_detail(incident)))

    assert "We are on it." in html
    assert "SECRET-NOTE" not in html
    assert "internal.log" not in html
    assert "dump.txt" not in html
    for entry in (note, internal):
        attachment = entry.attachments.get()
        assert as_requester.get(reverse("attachment", args=[attachment.pk])).status_code == 404


def test_the_nav_offers_filing_to_requesters(as_requester):
    html = _html(as_requester.get("/portal/"))

    assert 'data-testid="nav-report"' in html
    assert 'data-testid="nav-request"' in html


def test_a_person_in_another_organisation_sees_nothing_shared(client, requester, organisation, incident):
    organisation.shares_records = True
    organisation.save()
    outsider = UserFactory(roles=[roles.REQUESTER], organisation=OrganisationFactory(shares_records=True))
    client.force_login(outsider)

    assert _numbers(client.get("/portal/?tab=all")) == []
    assert client.get(_detail(incident)).status_code == 404


def test_the_shared_timeline_names_statuses_in_words_for_agents_too(incident, agent):
    services.incident_comment(record=incident, actor=agent, body="Checking the logs.", is_public=False)
    record = services.incident_transition(record=incident, actor=agent, to="in_progress")
    services.incident_transition(record=record, actor=agent, to="on_hold", hold_reason="vendor")

    html = render_to_string(
        "servicedesk/records/_timeline.html",
        {"entries": incident_timeline(record=record, user=agent), "record": record, "show_internal": True},
    )

    assert "Status: New → In progress" in html
    assert "Status: In progress → On hold" in html
    assert "Waiting for a vendor" in html
    assert "Internal note" in html
    assert "in_progress" not in html


@pytest.mark.parametrize("status", wf.STATUSES)
def test_a_status_has_one_colour_in_the_portal_and_the_workspace(status):
    record = Incident(number="INC0000001", title="Printer", status=status, updated_at=timezone.now())

    context = {"page": [record], "tabs": [], "tab": "open", "shares_records": False}
    portal = render_to_string("incidents/portal/_records.html", context)
    workspace = render_to_string("incidents/workspace/_status_badge.html", {"record": record})

    colour = status_badge(status)
    assert colour != "text-bg-light border", "every status has its own colour"
    assert f'class="badge {colour}"' in workspace
    assert f'class="badge {colour}"' in portal
