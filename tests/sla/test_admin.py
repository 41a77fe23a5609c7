"""The admin of SLA policies and clocks, and a business service's policy in the CMDB (web form and API)."""

from datetime import timedelta

import pytest
import time_machine
from django.contrib.admin.models import LogEntry
from django.urls import reverse

from cmdb.models import CIClass, ConfigurationItem
from cmdb.services.items import ci_update
from incidents import services
from servicedesk import roles
from servicedesk.models import AuditEvent, EscalationRule, SLAClock, SLAFiring, SLAPolicy, SLATarget

from ..factories import UserFactory
from .conftest import HOURS, at, clocks_of, make_policy

POLICIES = "/admin/servicedesk/slapolicy/"
CLOCKS = "/admin/servicedesk/slaclock/"
MONDAY = at(2026, 1, 5, 10)  # a Monday in January: London is on UTC


def _duration(value: timedelta) -> str:
    seconds = int(value.total_seconds())
    days, seconds = divmod(seconds, 86400)
    text = f"{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"
    return f"{days} {text}" if days else text


def policy_form(policy: SLAPolicy | None = None, *, targets=None, escalations=None, **fields) -> dict:
    """The admin form's POST data: the policy as it is (or a new one), with `fields` changed.

    `targets` / `escalations` replace the inline rows: lists of dicts (existing rows keep their ids).
    """
    if policy is not None:
        data = {
            "name": policy.name,
            "description": policy.description,
            "order": policy.order,
            "kinds": list(policy.kinds),
            "priorities": [str(priority) for priority in policy.priorities],
            "organisations": [str(pk) for pk in policy.organisations.values_list("pk", flat=True)],
            "calendar": policy.calendar_id,
            "time_zone_source": policy.time_zone_source,
            "pause_on": list(policy.pause_on),
            "warning_percents": ", ".join(str(p) for p in policy.warning_percents),
            "warning_minutes": policy.warning_minutes or "",
        }
        for flag in ("is_active", "services_only", "reopen_new_cycle"):
            if getattr(policy, flag):
                data[flag] = "on"
        if targets is None:
            targets = [
                {"id": t.pk, "metric": t.metric, "priority": t.priority, "target": _duration(t.target)}
                for t in policy.targets.all()
            ]
        if escalations is None:
            escalations = [
                {"id": rule.pk, "metric": rule.metric, "percent": rule.percent}
                | dict.fromkeys(rule.actions, "on")
                for rule in policy.escalations.all()
            ]
    else:
        data = {"order": 100, "time_zone_source": "calendar", "warning_percents": "", "is_active": "on"}
    data.update(fields)
    for prefix, rows, initial in (
        ("targets", targets or [], policy.targets.count() if policy else 0),
        ("escalations", escalations or [], policy.escalations.count() if policy else 0),
    ):
        data[f"{prefix}-TOTAL_FORMS"] = len(rows)
        data[f"{prefix}-INITIAL_FORMS"] = initial
        for index, row in enumerate(rows):
            for key, value in row.items():
                data[f"{prefix}-{index}-{key}"] = value
            if policy is not None and "id" in row:
                data[f"{prefix}-{index}-policy"] = policy.pk
    return {key: value for key, value in data.items() if value is not None}


@pytest.fixture
def admin_client(client, administrator):
    client.force_login(administrator)
    return client


@pytest.fixture
def running(policy, requester, service):
    """An incident filed on Monday 10:00 under the 24x7 policy: respond by 11:00, resolve by 18:00."""
    with time_machine.travel(MONDAY, tick=False):
        return services.incident_create(actor=requester, title="Mail is down", service=service)


# Policies ---------------------------------------------------------------------------------------------


def test_an_administrator_adds_a_policy_with_targets_rules_and_choices(admin_client, office):
    page = admin_client.get(f"{POLICIES}add/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'value="incident"' in html
    assert 'value="on_hold:vendor"' in html
    assert 'name="_preview"' not in html  # nothing to preview before the policy exists

    response = admin_client.post(
        f"{POLICIES}add/",
        policy_form(
            name="Gold",
            kinds=["incident"],
            priorities=["2", "1"],
            calendar=office.pk,
            pause_on=["on_hold:vendor", "on_hold:requester"],
            warning_percents="90, 50,75, 50",
            warning_minutes="30",
            targets=[
                {"metric": "response", "priority": 1, "target": "0:30:00"},
                {"metric": "resolution", "priority": 1, "target": "4:00:00"},
                {"metric": "resolution", "priority": 2, "target": "1 8:00:00"},
            ],
            escalations=[{"metric": "resolution", "percent": 150, "notify_group_manager": "on"}],
        ),
    )

    assert response.status_code == 302, response.context and response.context["errors"]
    gold = SLAPolicy.objects.get(name="Gold")
    assert gold.kinds == ["incident"]
    assert gold.priorities == [1, 2]
    assert gold.pause_on == ["on_hold:requester", "on_hold:vendor"]
    assert gold.warning_percents == [50, 75, 90]
    assert (gold.warning_minutes, gold.calendar, gold.retired_at) == (30, office, None)
    assert set(gold.targets.values_list("metric", "priority", "target")) == {
        ("response", 1, timedelta(minutes=30)),
        ("resolution", 1, timedelta(hours=4)),
        ("resolution", 2, timedelta(days=1, hours=8)),
    }
    rule = gold.escalations.get()
    assert (rule.percent, rule.actions) == (150, ["notify_group_manager"])
    assert AuditEvent.objects.filter(action="slapolicy.created_in_admin").count() == 1


def test_the_change_page_shows_the_stored_choices_and_the_preview_button(admin_client, policy):
    page = admin_client.get(f"{POLICIES}{policy.pk}/change/")

    assert page.status_code == 200
    html = page.content.decode()
    assert 'value="50, 75"' in html
    assert 'value="01:00:00"' in html  # a target as a duration
    assert 'name="_preview"' in html
    assert 'formtarget="_blank"' in html
    form = page.context["adminform"].form
    assert form["pause_on"].value() == ["on_hold:requester"]


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"warning_percents": "50, abc"}, "warning_percents"),
        ({"warning_percents": "0, 50"}, "warning_percents"),
        ({"warning_percents": "100"}, "warning_percents"),
        ({"warning_percents": "12.5"}, "warning_percents"),
        ({"priorities": ["7"]}, "priorities"),
        ({"kinds": ["gadget"]}, "kinds"),
        ({"pause_on": ["on_hold:lunch"]}, "pause_on"),
        ({"time_zone_source": "moon"}, "time_zone_source"),
        ({"calendar": ""}, "calendar"),
        ({"name": ""}, "name"),
    ],
)
def test_bad_policy_fields_are_field_errors_and_change_nothing(admin_client, policy, changes, field):
    response = admin_client.post(f"{POLICIES}{policy.pk}/change/", policy_form(policy, **changes))

    assert response.status_code == 200
    assert field in response.context["adminform"].form.errors
    policy.refresh_from_db()
    assert (policy.warning_percents, policy.priorities, policy.kinds) == ([50, 75], [], [])


@pytest.mark.parametrize(
    ("targets", "escalations"),
    [
        ([{"metric": "response", "priority": 1, "target": "soon"}], []),
        ([{"metric": "response", "priority": 1, "target": "0:00:00"}], []),
        ([{"metric": "response", "priority": 9, "target": "1:00:00"}], []),
        (
            [
                {"metric": "response", "priority": 1, "target": "1:00:00"},
                {"metric": "response", "priority": 1, "target": "2:00:00"},
            ],
            [],
        ),
        ([], [{"metric": "response", "percent": 75}]),  # no action
        ([], [{"metric": "response", "percent": 0, "raise_priority": "on"}]),
    ],
)
def test_bad_inline_rows_are_refused_without_a_server_error(admin_client, office, targets, escalations):
    response = admin_client.post(
        f"{POLICIES}add/",
        policy_form(name="Bad", calendar=office.pk, targets=targets, escalations=escalations),
    )

    assert response.status_code == 200
    assert response.context["errors"]
    assert not SLAPolicy.objects.filter(name="Bad").exists()


def test_editing_a_target_re_targets_the_open_clocks_after_saving(admin_client, policy, running):
    targets = [
        {"id": t.pk, "metric": t.metric, "priority": t.priority, "target": "10:00:00"}
        if t.metric == "resolution"
        else {"id": t.pk, "metric": t.metric, "priority": t.priority, "target": _duration(t.target)}
        for t in policy.targets.all()
    ]

    with time_machine.travel(MONDAY + 2 * HOURS, tick=False):
        response = admin_client.post(f"{POLICIES}{policy.pk}/change/", policy_form(policy, targets=targets))

    assert response.status_code == 302
    assert clocks_of(running)["resolution"].due_at == MONDAY + 10 * HOURS
    assert clocks_of(running)["resolution"].target_seconds == 10 * 3600


def test_moving_a_policy_to_another_calendar_keeps_the_time_consumed_under_the_old_one(
    admin_client, policy, office, requester, service
):
    early = at(2026, 1, 5, 6)  # Monday 06:00: the office opens at 09:00
    with time_machine.travel(early, tick=False):
        record = services.incident_create(actor=requester, title="Early", service=service)

    with time_machine.travel(early + 2 * HOURS, tick=False):
        response = admin_client.post(
            f"{POLICIES}{policy.pk}/change/", policy_form(policy, calendar=office.pk)
        )

    assert response.status_code == 302
    # 2 h ran round the clock (06:00-08:00); the 6 h left run in office hours: Monday 09:00-15:00.
    assert clocks_of(record)["resolution"].due_at == at(2026, 1, 5, 15)


def test_retiring_a_policy_moves_its_clocks_to_the_next_match_and_back_again(admin_client, policy, running):
    fallback = make_policy(policy.calendar, name="Fallback", order=200, resolution=12 * HOURS)
    later = MONDAY + HOURS / 2

    with time_machine.travel(later, tick=False):
        retired = admin_client.post(f"{POLICIES}{policy.pk}/change/", policy_form(policy, is_active=None))

    assert retired.status_code == 302
    policy.refresh_from_db()
    assert (policy.is_active, policy.retired_at) == (False, later)
    resolution = clocks_of(running)["resolution"]
    assert (resolution.policy, resolution.due_at) == (fallback, MONDAY + 12 * HOURS)

    with time_machine.travel(later + HOURS, tick=False):
        restored = admin_client.post(f"{POLICIES}{policy.pk}/change/", policy_form(policy, is_active="on"))

    assert restored.status_code == 302
    policy.refresh_from_db()
    assert (policy.is_active, policy.retired_at) == (True, None)


def test_retiring_the_only_policy_cancels_its_open_clocks(admin_client, policy, running):
    with time_machine.travel(MONDAY + HOURS / 2, tick=False):
        response = admin_client.post(f"{POLICIES}{policy.pk}/change/", policy_form(policy, is_active=None))

    assert response.status_code == 302
    assert {clock.state for clock in clocks_of(running).values()} == {SLAClock.State.CANCELLED}
    assert not SLAClock.objects.filter(policy=policy, next_check_at__isnull=False).exists()


def test_a_policy_clocks_used_cannot_be_deleted_and_the_page_says_retire_it(admin_client, policy, running):
    url = f"{POLICIES}{policy.pk}/delete/"

    page = admin_client.get(url)
    refused = admin_client.post(url, {"post": "yes"})
    bulk = admin_client.post(
        POLICIES, {"action": "delete_selected", "_selected_action": [policy.pk], "post": "yes"}
    )

    for response in (page, refused, bulk):
        assert response.status_code == 200
        assert 'data-testid="retire-instead"' in response.content.decode()
    assert SLAPolicy.objects.filter(pk=policy.pk).exists()
    assert "retire it instead" in admin_client.get(f"{POLICIES}{policy.pk}/change/").content.decode()


def test_an_unused_policy_can_be_deleted(admin_client, office):
    unused = make_policy(office, name="Unused")

    response = admin_client.post(f"{POLICIES}{unused.pk}/delete/", {"post": "yes"})

    assert response.status_code == 302
    assert not SLAPolicy.objects.filter(pk=unused.pk).exists()
    assert not SLATarget.objects.filter(policy_id=unused.pk).exists()


def test_the_policy_list_counts_open_clocks(admin_client, policy, running):
    response = admin_client.get(POLICIES)

    assert response.status_code == 200
    assert response.context["cl"].result_list[0].open_clock_count == 2


def test_an_agent_cannot_open_the_policy_admin(client, agent, policy):
    client.force_login(agent)

    assert client.get(f"{POLICIES}{policy.pk}/change/").status_code in (302, 403)


# Clocks -----------------------------------------------------------------------------------------------


def test_the_clock_admin_lists_filters_searches_and_shows_the_ledger(admin_client, escalating, running):
    clock = clocks_of(running)["response"]
    SLAFiring.objects.create(
        clock=clock,
        cycle=1,
        threshold="rule:1",
        rule=EscalationRule.objects.filter(metric="response").first(),
        fired_at=MONDAY + HOURS,
    )

    listing = admin_client.get(CLOCKS)
    filtered = admin_client.get(CLOCKS, {"state__exact": "running", "metric__exact": "response"})
    searched = admin_client.get(CLOCKS, {"q": str(running.pk)})
    nonsense = admin_client.get(CLOCKS, {"q": "not-a-number"})
    page = admin_client.get(f"{CLOCKS}{clock.pk}/change/")

    assert listing.status_code == filtered.status_code == searched.status_code == 200
    assert nonsense.status_code == 200
    assert listing.context["cl"].result_count == 2
    assert filtered.context["cl"].result_count == 1
    assert searched.context["cl"].result_count == 2
    assert page.status_code == 200
    html = page.content.decode()
    assert running.number in html
    assert reverse("record", args=[running.number]) in html
    assert "rule:1" in html
    assert "started" in html
    assert admin_client.get(f"{CLOCKS}add/").status_code == 403
    assert admin_client.post(f"{CLOCKS}{clock.pk}/delete/", {"post": "yes"}).status_code == 403
    assert SLAClock.objects.filter(pk=clock.pk).exists()


# A business service's policy in the CMDB --------------------------------------------------------------


@pytest.fixture
def configuration_manager(db, organisation):
    return UserFactory(
        username="cmdb", roles=[roles.AGENT, roles.CONFIGURATION_MANAGER], organisation=organisation
    )


@pytest.fixture
def server(db):
    return ConfigurationItem.objects.create(name="srv-01", ci_class=CIClass.objects.get(code="server"))


def _ci_form(ci: ConfigurationItem, **changes) -> dict:
    return {
        "ci_class": ci.ci_class_id,
        "name": ci.name,
        "owner": "",
        "support_group": "",
        "location": "",
        "sla_policy": "",
        "environment": "",
        "version": "",
        "serial_number": "",
        "asset_tag": "",
        "hostname": "",
        "external_id": "",
        "description": "",
        "attributes": "{}",
        **changes,
    }


def test_the_ci_form_sets_a_services_policy_and_the_page_shows_it(
    client, configuration_manager, service, policy
):
    client.force_login(configuration_manager)
    url = reverse("cmdb:ci_edit", args=[service.pk])
    assert client.get(url).status_code == 200

    response = client.post(url, _ci_form(service, sla_policy=policy.pk))

    assert response.status_code == 302
    service.refresh_from_db()
    assert service.sla_policy == policy
    event = AuditEvent.objects.filter(action="ci.updated").latest("pk")
    assert event.data["changes"]["sla_policy"] == {"from": None, "to": policy.pk}
    page = client.get(reverse("cmdb:ci_detail", args=[service.pk]))
    assert policy.name in page.content.decode()
    assert client.get(url).context["form"]["sla_policy"].value() == policy.pk


def test_the_ci_form_refuses_a_policy_on_a_ci_that_is_not_a_service(
    client, configuration_manager, server, policy
):
    client.force_login(configuration_manager)

    response = client.post(reverse("cmdb:ci_edit", args=[server.pk]), _ci_form(server, sla_policy=policy.pk))

    assert response.status_code == 400
    assert "sla_policy" in response.context["form"].errors
    server.refresh_from_db()
    assert server.sla_policy is None


def test_the_ci_form_offers_no_retired_policy(client, configuration_manager, service, policy):
    retired = make_policy(policy.calendar, name="Old", is_active=False)
    client.force_login(configuration_manager)

    response = client.post(
        reverse("cmdb:ci_edit", args=[service.pk]), _ci_form(service, sla_policy=retired.pk)
    )

    assert response.status_code == 400
    assert "sla_policy" in response.context["form"].errors


def test_the_api_sets_clears_and_refuses_a_policy(api_as, configuration_manager, service, server, policy):
    client = api_as(configuration_manager)

    set_ = client.patch(f"/api/v1/cis/{service.pk}/", {"sla_policy": policy.pk}, format="json")
    assert set_.status_code == 200, set_.content
    assert set_.json()["sla_policy"] == policy.pk
    assert client.get(f"/api/v1/cis/{service.pk}/").json()["sla_policy"] == policy.pk

    cleared = client.patch(f"/api/v1/cis/{service.pk}/", {"sla_policy": None}, format="json")
    assert cleared.status_code == 200
    service.refresh_from_db()
    assert service.sla_policy is None

    refused = client.patch(f"/api/v1/cis/{server.pk}/", {"sla_policy": policy.pk}, format="json")
    assert refused.status_code == 400
    assert "sla_policy" in refused.json()["fields"]
    unknown = client.patch(f"/api/v1/cis/{service.pk}/", {"sla_policy": 999999}, format="json")
    assert unknown.status_code == 400
    assert "sla_policy" in unknown.json()["fields"]
    created = client.post(
        "/api/v1/cis/",
        {"name": "Payroll", "ci_class": "server", "sla_policy": policy.pk},
        format="json",
    )
    assert created.status_code == 400
    assert "sla_policy" in created.json()["fields"]
    assert not ConfigurationItem.objects.filter(name="Payroll").exists()
    server.refresh_from_db()
    assert server.sla_policy is None


def test_a_service_keeps_a_policy_retired_since_it_was_chosen(configuration_manager, service, policy):
    ci_update(ci=service, actor=configuration_manager, sla_policy=policy)
    SLAPolicy.objects.filter(pk=policy.pk).update(is_active=False)
    service.refresh_from_db()

    ci_update(ci=service, actor=configuration_manager, description="Still covered")

    service.refresh_from_db()
    assert (service.sla_policy, service.description) == (policy, "Still covered")


def test_no_log_entry_is_left_by_a_refused_form(admin_client, policy):
    before = LogEntry.objects.count()

    admin_client.post(f"{POLICIES}{policy.pk}/change/", policy_form(policy, warning_percents="x"))

    assert LogEntry.objects.count() == before
