import json
import re

import pytest
from django.urls import NoReverseMatch, reverse

from cmdb.models import CIClass, CIRelationship, ConfigurationItem
from cmdb.schemas import effective_schema
from cmdb.services.items import ci_create, ci_update
from cmdb.services.relationships import relationship_create

from ..factories import SupportGroupFactory, UserFactory
from .factories import ci_class, relationship_type

INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)


def _html(response):
    return response.content.decode()


def _ci(name, class_code="server", **fields):
    return ci_create(actor=None, name=name, ci_class=ci_class(class_code), via="system", **fields)


def _relate(source, type_code, target):
    return relationship_create(actor=None, source=source, target=target, type=relationship_type(type_code))


def _ci_form(ci_class_obj, **changes):
    return {
        "ci_class": ci_class_obj.pk,
        "name": "lon-new-01",
        "status": "planned",
        "owner": "",
        "support_group": "",
        "location": "",
        "environment": "production",
        "version": "",
        "serial_number": "",
        "asset_tag": "",
        "hostname": "",
        "external_id": "",
        "description": "",
        "attributes": "{}",
        "editor": "json",  # the advanced editor: the attributes as JSON
        **changes,
    }


def _names(response):
    return [ci.name for ci in response.context["page"]]


@pytest.fixture
def server(db):
    return _ci("lon-app-01", status="in_production", hostname="lon-app-01", attributes={"cpu_count": 8})


# Who sees what


def _cmdb_pages(server):
    rel = _relate(_ci("Payroll", "business_service"), "depends_on", server)
    server_class = ci_class("server")
    return [
        ("get", reverse("cmdb:ci_list"), {}),
        ("get", reverse("cmdb:ci_detail", args=[server.pk]), {}),
        ("get", reverse("cmdb:ci_create"), {}),
        ("get", reverse("cmdb:ci_edit", args=[server.pk]), {}),
        ("get", reverse("cmdb:ci_search") + "?q=lon", {}),
        ("get", reverse("cmdb:class_list"), {}),
        ("get", reverse("cmdb:class_create"), {}),
        ("get", reverse("cmdb:class_edit", args=[server_class.pk]), {}),
        ("get", reverse("cmdb:class_schema") + f"?ci_class={server_class.pk}", {}),
        ("post", reverse("cmdb:ci_transition", args=[server.pk]), {"to": "in_maintenance"}),
        ("post", reverse("cmdb:relationship_create"), {"ci": server.pk, "type": rel.type_id, "other": 1}),
        ("post", reverse("cmdb:relationship_delete", args=[rel.pk]), {}),
    ]


def test_a_requester_gets_404_on_every_cmdb_page(client, requester, server):
    client.force_login(requester)

    for method, url, data in _cmdb_pages(server):
        assert getattr(client, method)(url, data).status_code == 404, url
    assert ConfigurationItem.objects.get(pk=server.pk).status == "in_production"
    assert CIRelationship.objects.count() == 1


def test_anonymous_visitors_are_sent_to_sign_in(client, server):
    response = client.get(reverse("cmdb:ci_list"))

    assert response.status_code == 302
    assert response.url.startswith("/login/")


def test_an_agent_reads_the_cmdb_but_gets_403_on_every_change(client, agent, server):
    client.force_login(agent)
    pages = _cmdb_pages(server)
    readable = {
        reverse("cmdb:ci_list"),
        reverse("cmdb:ci_detail", args=[server.pk]),
        reverse("cmdb:class_list"),
    }

    for method, url, data in pages:
        expected = 200 if url in readable or "search" in url or "schema" in url else 403
        assert getattr(client, method)(url, data).status_code == expected, url
    assert ConfigurationItem.objects.get(pk=server.pk).status == "in_production"
    assert CIRelationship.objects.count() == 1


def test_an_agent_sees_no_edit_buttons_or_forms(client, agent, server):
    client.force_login(agent)

    html = _html(client.get(reverse("cmdb:ci_detail", args=[server.pk])))

    assert 'data-testid="transitions"' not in html
    assert 'data-testid="relate-form"' not in html
    assert reverse("cmdb:ci_edit", args=[server.pk]) not in html
    assert reverse("cmdb:ci_create") not in _html(client.get(reverse("cmdb:ci_list")))


def test_the_nav_shows_the_cmdb_to_agents_only(client, agent, requester):
    client.force_login(agent)
    assert 'data-testid="nav-cmdb"' in _html(client.get("/"))

    client.force_login(requester)
    assert 'data-testid="nav-cmdb"' not in _html(client.get("/"))


def test_cmdb_pages_have_no_inline_scripts_or_styles(client, configuration_manager, server):
    client.force_login(configuration_manager)

    for url in [
        reverse("cmdb:ci_list"),
        reverse("cmdb:ci_detail", args=[server.pk]),
        reverse("cmdb:ci_create"),
        reverse("cmdb:ci_edit", args=[server.pk]),
        reverse("cmdb:class_list"),
        reverse("cmdb:class_create"),
    ]:
        html = _html(client.get(url))
        assert INLINE_SCRIPT.findall(html) == [], url
        assert not re.search(r"<[^>]+\s(on[a-z]+|style|hx-on[^=]*)=", html), url


# CI list


def test_the_list_filters_by_class_including_subclasses(client, agent, server):
    _ci("lon-core-sw-01", "network_device")
    _ci("Payroll app", "application")
    client.force_login(agent)

    hardware = ci_class("hardware")
    response = client.get(reverse("cmdb:ci_list"), {"ci_class": hardware.pk})

    assert _names(response) == ["lon-app-01", "lon-core-sw-01"]
    assert _names(client.get(reverse("cmdb:ci_list"), {"ci_class": ci_class("application").pk})) == [
        "Payroll app"
    ]


def test_the_list_filters_by_status_environment_group_and_words(client, agent, server):
    network = SupportGroupFactory(name="Network")
    _ci("lon-core-sw-01", "network_device", support_group=network, environment="production")
    _ci("test-app-01", environment="test", description="Payroll test box")
    client.force_login(agent)
    url = reverse("cmdb:ci_list")

    assert _names(client.get(url, {"status": "in_production"})) == ["lon-app-01"]
    assert _names(client.get(url, {"environment": "test"})) == ["test-app-01"]
    assert _names(client.get(url, {"support_group": network.pk})) == ["lon-core-sw-01"]
    assert _names(client.get(url, {"q": "payroll box"})) == ["test-app-01"]
    assert _names(client.get(url, {"q": "LON"})) == ["lon-app-01", "lon-core-sw-01"]


def test_the_list_shows_the_columns_and_links_to_each_ci(client, agent, server):
    london = _ci("London DC", "location")
    owner = UserFactory(full_name="Nina Patel")
    ci_update(
        ci=server, actor=None, owner=owner, location=london, support_group=SupportGroupFactory(name="Ops")
    )
    client.force_login(agent)

    html = _html(client.get(reverse("cmdb:ci_list"), {"q": "lon-app"}))

    row = html[html.index('data-testid="ci-row"') :]
    row = row[: row.index("</tr>")]
    for text in ["lon-app-01", "Server", "In production", "Ops", "Nina Patel", "London DC"]:
        assert text in row
    assert reverse("cmdb:ci_detail", args=[server.pk]) in row


@pytest.mark.parametrize("count", [3, 60])
def test_the_list_query_count_does_not_grow_with_cis(client, agent, django_assert_max_num_queries, count):
    london = _ci("London DC", "location")
    group = SupportGroupFactory(name="Hosting")
    for number in range(count):
        _ci(f"srv-{number:03}", owner=UserFactory(), support_group=group, location=london)
    client.force_login(agent)

    with django_assert_max_num_queries(11):
        response = client.get(reverse("cmdb:ci_list"), {"ci_class": ci_class("hardware").pk, "q": "srv"})

    assert len(response.context["page"]) == min(count, 50)
    assert response.context["page"].paginator.count == count


def test_the_list_pages_by_fifty_and_keeps_the_filters(client, agent):
    for number in range(55):
        _ci(f"srv-{number:03}")
    client.force_login(agent)

    first = client.get(reverse("cmdb:ci_list"), {"q": "srv"})
    second = client.get(reverse("cmdb:ci_list"), {"q": "srv", "page": 2})

    assert len(first.context["page"]) == 50
    assert "?q=srv&amp;page=2" in _html(first)
    assert _names(second) == [f"srv-{number:03}" for number in range(50, 55)]


# CI detail


def test_the_detail_shows_fields_attributes_in_schema_order_and_extras_last(client, agent):
    ci = _ci(
        "lon-db-01",
        hostname="lon-db-01",
        attributes={"zz_rack": "B4", "ip_address": "10.0.3.11", "cpu_count": 32, "manufacturer": "Dell"},
    )
    client.force_login(agent)

    response = client.get(reverse("cmdb:ci_detail", args=[ci.pk]))

    assert [name for name, _value, _known in response.context["attributes"]] == [
        "manufacturer",
        "cpu_count",
        "ip_address",
        "zz_rack",
    ]
    assert response.context["attributes"][-1] == ("zz_rack", "B4", False)
    assert "10.0.3.11" in _html(response)


def test_the_detail_shows_relationships_both_ways_with_each_directions_name(client, agent, server):
    application = _ci("Payroll app", "application")
    switch = _ci("lon-core-sw-01", "network_device")
    _relate(application, "runs_on", server)
    _relate(server, "connected_to", switch)
    client.force_login(agent)

    html = _html(client.get(reverse("cmdb:ci_detail", args=[server.pk])))

    outgoing = re.findall(
        r'data-testid="relationship-outgoing">\s*<td>([^<]+)</td>\s*<td><a[^>]*>([^<]+)<', html
    )
    incoming = re.findall(
        r'data-testid="relationship-incoming">\s*<td>([^<]+)</td>\s*<td><a[^>]*>([^<]+)<', html
    )
    assert outgoing == [("connected to", "lon-core-sw-01")]
    assert incoming == [("hosts", "Payroll app")]


def test_the_detail_links_to_the_impact_page_when_it_exists(client, agent, server):
    client.force_login(agent)

    response = client.get(reverse("cmdb:ci_detail", args=[server.pk]))

    try:
        url = reverse("cmdb:ci_impact", args=[server.pk])
    except NoReverseMatch:  # the impact page is another module's
        assert response.context["impact_url"] is None
    else:
        assert f'href="{url}"' in _html(response)


def test_the_detail_shows_the_history_with_who_via_and_changed_fields(
    client, agent, configuration_manager, server
):
    ci_update(ci=server, actor=configuration_manager, via="web", version="2.1", attributes={"cpu_count": 16})
    switch = _ci("lon-core-sw-01", "network_device")
    relationship_create(
        actor=configuration_manager, source=server, target=switch, type=relationship_type("connected_to")
    )
    client.force_login(agent)

    response = client.get(reverse("cmdb:ci_detail", args=[server.pk]))

    latest, created = response.context["history"]
    assert latest["record"].history_user == configuration_manager
    assert latest["record"].history_change_reason == "web"
    changes = {change["field"]: (change["old"], change["new"]) for change in latest["changes"]}
    assert changes == {"version": ("", "2.1"), "attributes": ({"cpu_count": 8}, {"cpu_count": 16})}
    assert created["record"].history_type == "+"
    html = _html(response)
    assert "via web" in html
    assert "via system" in html
    assert configuration_manager.get_full_name() in html
    (related,) = response.context["relationship_history"]
    assert (related["label"], related["other_name"]) == ("connected to", "lon-core-sw-01")


# Status transitions


def test_the_detail_offers_exactly_the_allowed_transitions(client, configuration_manager, server):
    client.force_login(configuration_manager)

    html = _html(client.get(reverse("cmdb:ci_detail", args=[server.pk])))

    assert sorted(re.findall(r'data-testid="transition-([a-z_]+)"', html)) == ["in_maintenance", "retired"]


def test_a_transition_button_moves_the_ci_and_records_it(client, configuration_manager, server):
    client.force_login(configuration_manager)

    response = client.post(
        reverse("cmdb:ci_transition", args=[server.pk]), {"to": "in_maintenance"}, follow=True
    )

    server.refresh_from_db()
    assert server.status == "in_maintenance"
    assert "The CI is now in maintenance." in _html(response)
    assert server.history.first().history_change_reason == "web"


def test_an_illegal_transition_is_shown_as_a_message(client, configuration_manager, server):
    client.force_login(configuration_manager)

    response = client.post(reverse("cmdb:ci_transition", args=[server.pk]), {"to": "ordered"}, follow=True)

    server.refresh_from_db()
    assert server.status == "in_production"
    assert "A CI cannot move from in_production to ordered." in _html(response)


# Create and edit


def test_a_configuration_manager_creates_a_ci_the_schema_rejects_then_accepts(client, configuration_manager):
    server_class = ci_class("server")
    client.force_login(configuration_manager)
    url = reverse("cmdb:ci_create")

    rejected = client.post(url, _ci_form(server_class, attributes=json.dumps({"cpu_count": 0})))

    assert rejected.status_code == 400
    assert rejected.context["form"].errors["attributes"] == ["cpu_count: Must be at least 1."]
    assert "cpu_count: Must be at least 1." in _html(rejected)
    assert not ConfigurationItem.objects.filter(name="lon-new-01").exists()

    accepted = client.post(url, _ci_form(server_class, attributes=json.dumps({"cpu_count": 4})))

    ci = ConfigurationItem.objects.get(name="lon-new-01")
    assert accepted.status_code == 302
    assert accepted.url == reverse("cmdb:ci_detail", args=[ci.pk])
    assert (ci.attributes, ci.status, ci.environment) == ({"cpu_count": 4}, "planned", "production")
    assert ci.history.get().history_user == configuration_manager
    assert ci.history.get().history_change_reason == "web"


def test_the_ci_form_shows_bad_json_and_service_field_errors_on_their_fields(
    client, configuration_manager, server
):
    client.force_login(configuration_manager)
    url = reverse("cmdb:ci_create")

    bad_json = client.post(url, _ci_form(ci_class("server"), attributes="{cpu_count: 4"))
    taken = client.post(url, _ci_form(ci_class("server"), hostname="LON-APP-01"))
    not_a_location = client.post(url, _ci_form(ci_class("server"), location=server.pk))

    assert "attributes" in bad_json.context["form"].errors
    assert taken.context["form"].errors["hostname"] == ["Another CI already has this identifier."]
    assert "location" in not_a_location.context["form"].errors  # only locations are offered
    assert ConfigurationItem.objects.count() == 1


def test_the_ci_form_shows_the_classes_effective_schema(client, configuration_manager):
    client.force_login(configuration_manager)
    server_class = ci_class("server")

    form_page = _html(client.get(reverse("cmdb:ci_create"), {"editor": "json"}))
    partial = client.get(reverse("cmdb:class_schema"), {"ci_class": server_class.pk}, HTTP_HX_REQUEST="true")

    assert f'hx-get="{reverse("cmdb:class_schema")}"' in form_page
    rows = [name for name, _spec, _required in partial.context["schema_rows"]]
    assert rows == list(effective_schema(server_class)["properties"])
    assert {"manufacturer", "cpu_count"} <= set(rows)
    assert "<html" not in _html(partial)


def test_editing_a_ci_changes_its_fields_and_keeps_its_status(client, configuration_manager, server):
    london = _ci("London DC", "location")
    client.force_login(configuration_manager)
    url = reverse("cmdb:ci_edit", args=[server.pk])
    page = client.get(url, {"editor": "json"})
    assert "status" not in page.context["form"].fields
    assert json.loads(page.context["form"]["attributes"].value()) == {"cpu_count": 8}

    response = client.post(
        url,
        _ci_form(
            ci_class("server"),
            name="lon-app-01",
            hostname="lon-app-01",
            version="2.0",
            location=london.pk,
            attributes=json.dumps({"cpu_count": 8, "memory_gb": 64}),
        ),
    )

    assert response.status_code == 302
    server.refresh_from_db()
    assert (server.version, server.location, server.status) == ("2.0", london, "in_production")
    assert server.attributes == {"cpu_count": 8, "memory_gb": 64}


def test_editing_a_ci_with_attributes_the_schema_rejects_changes_nothing(
    client, configuration_manager, server
):
    client.force_login(configuration_manager)

    response = client.post(
        reverse("cmdb:ci_edit", args=[server.pk]),
        _ci_form(ci_class("server"), name="renamed", attributes=json.dumps({"ip_address": "not-an-ip"})),
    )

    assert response.context["form"].errors["attributes"] == ["ip_address: Not a valid ipv4."]
    server.refresh_from_db()
    assert server.name == "lon-app-01"


# Relationships


def test_the_relate_form_relates_either_way(client, configuration_manager, server):
    application = _ci("Payroll app", "application")
    switch = _ci("lon-core-sw-01", "network_device")
    client.force_login(configuration_manager)
    url = reverse("cmdb:relationship_create")

    hosted = client.post(
        url,
        {
            "ci": server.pk,
            "type": relationship_type("runs_on").pk,
            "direction": "incoming",
            "other": application.pk,
        },
    )
    cabled = client.post(
        url,
        {
            "ci": server.pk,
            "type": relationship_type("connected_to").pk,
            "direction": "outgoing",
            "other": switch.pk,
        },
    )

    assert hosted.status_code == cabled.status_code == 302
    assert hosted.url == reverse("cmdb:ci_detail", args=[server.pk])
    assert set(CIRelationship.objects.values_list("source__name", "type__code", "target__name")) == {
        ("Payroll app", "runs_on", "lon-app-01"),
        ("lon-app-01", "connected_to", "lon-core-sw-01"),
    }


def test_the_relate_form_shows_duplicates_self_loops_and_unknown_cis(client, configuration_manager, server):
    switch = _ci("lon-core-sw-01", "network_device")
    _relate(switch, "connected_to", server)
    client.force_login(configuration_manager)
    url = reverse("cmdb:relationship_create")
    connected = relationship_type("connected_to").pk

    duplicate = client.post(
        url, {"ci": server.pk, "type": connected, "direction": "outgoing", "other": switch.pk}
    )
    itself = client.post(
        url, {"ci": server.pk, "type": connected, "direction": "outgoing", "other": server.pk}
    )
    unknown = client.post(url, {"ci": server.pk, "type": connected, "direction": "outgoing", "other": 99999})

    assert duplicate.context["relate_form"].non_field_errors() == ["These CIs are already related this way."]
    assert itself.context["relate_form"].errors["other"] == ["A CI cannot be related to itself."]
    assert unknown.context["relate_form"].errors["other"] == ["There is no CI with this number."]
    assert "These CIs are already related this way." in _html(duplicate)
    assert CIRelationship.objects.count() == 1


def test_the_ci_search_offers_matching_cis_as_options(client, configuration_manager, server):
    _ci("lon-app-02")
    _ci("Payroll app", "application")
    client.force_login(configuration_manager)

    html = _html(
        client.get(reverse("cmdb:ci_search"), {"q": "lon-app", "exclude": server.pk}, HTTP_HX_REQUEST="true")
    )

    assert re.findall(r"<option [^>]*>([^·<]+?) ·", html) == ["lon-app-02"]
    assert 'name="other"' in html


def test_removing_a_relationship_returns_to_the_ci_it_was_removed_from(client, configuration_manager, server):
    application = _ci("Payroll app", "application")
    relationship = _relate(application, "runs_on", server)
    client.force_login(configuration_manager)

    response = client.post(reverse("cmdb:relationship_delete", args=[relationship.pk]), {"ci": server.pk})

    assert response.url == reverse("cmdb:ci_detail", args=[server.pk])
    assert not CIRelationship.objects.exists()
    history = client.get(response.url).context["relationship_history"]
    assert [entry["record"].history_type for entry in history] == ["-", "+"]


# Class editor


def test_the_class_list_shows_the_hierarchy_with_own_and_inherited_attributes(client, agent):
    client.force_login(agent)

    response = client.get(reverse("cmdb:class_list"))

    rows = {row["ci_class"].code: row for row in response.context["rows"]}
    assert [row["ci_class"].code for row in response.context["rows"]][:3] == [
        "business_service",
        "document",
        "hardware",
    ]
    assert "cpu_count" in rows["server"]["own"]
    # In the parent's schema order (which PostgreSQL's jsonb decides).
    assert rows["server"]["inherited"] == list(ci_class("hardware").attribute_schema["properties"])
    assert set(rows["server"]["inherited"]) == {"manufacturer", "model", "purchase_date", "warranty_expires"}
    assert rows["server"]["indent"] > rows["hardware"]["indent"] == 0
    assert reverse("cmdb:class_create") not in _html(response)


def test_a_configuration_manager_defines_a_class_with_a_schema_and_uses_it(client, configuration_manager):
    client.force_login(configuration_manager)
    schema = {"properties": {"rack": {"type": "string"}}, "required": ["rack"]}

    response = client.post(
        reverse("cmdb:class_create"),
        {
            "code": "blade_server",
            "name": "Blade server",
            "parent": ci_class("server").pk,
            "description": "",
            "attribute_schema": json.dumps(schema),
        },
    )

    assert response.status_code == 302
    blade = CIClass.objects.get(code="blade_server")
    assert (blade.path, blade.attribute_schema) == ("/hardware/server/blade_server/", schema)
    rows = {row["ci_class"].code: row for row in client.get(reverse("cmdb:class_list")).context["rows"]}
    assert rows["blade_server"]["own"] == ["rack"]
    assert "cpu_count" in rows["blade_server"]["inherited"]

    missing = client.post(reverse("cmdb:ci_create"), _ci_form(blade, attributes="{}"))
    assert missing.context["form"].errors["attributes"] == ["rack: This attribute is required."]
    made = client.post(reverse("cmdb:ci_create"), _ci_form(blade, attributes=json.dumps({"rack": "B4"})))
    assert made.status_code == 302


def test_the_class_editor_refuses_a_schema_that_redefines_an_inherited_attribute(
    client, configuration_manager
):
    client.force_login(configuration_manager)

    response = client.post(
        reverse("cmdb:class_create"),
        {
            "code": "odd_server",
            "name": "Odd server",
            "parent": ci_class("server").pk,
            "attribute_schema": json.dumps({"properties": {"cpu_count": {"type": "string"}}}),
        },
    )

    assert response.status_code == 400
    assert response.context["form"].errors["attribute_schema"] == [
        "Inherited attributes cannot be redefined: cpu_count."
    ]
    assert not CIClass.objects.filter(code="odd_server").exists()


def test_editing_a_class_refuses_a_schema_existing_cis_would_break(client, configuration_manager, server):
    client.force_login(configuration_manager)
    server_class = ci_class("server")
    url = reverse("cmdb:class_edit", args=[server_class.pk])
    assert client.get(url).context["form"].fields["code"].disabled
    own = dict(server_class.attribute_schema, required=["operating_system"])

    refused = client.post(
        url,
        {
            "code": "server",
            "name": "Server",
            "parent": server_class.parent_id,
            "attribute_schema": json.dumps(own),
        },
    )
    renamed = client.post(
        url,
        {
            "name": "Servers",
            "parent": server_class.parent_id,
            "attribute_schema": json.dumps(server_class.attribute_schema),
        },
    )

    assert refused.context["form"].errors["attribute_schema"] == [
        "Existing CIs would no longer be valid: lon-app-01."
    ]
    assert renamed.status_code == 302
    server_class.refresh_from_db()
    assert (server_class.name, server_class.code, server_class.attribute_schema.get("required")) == (
        "Servers",
        "server",
        None,
    )
