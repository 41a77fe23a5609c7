"""Two tabs edit one CI (or one class): a save writes only what its person changed, merged over what was
saved meanwhile; a field both changed is shown to choose (servicedesk.forms_merge)."""

import json

import pytest
from django.urls import reverse

from cmdb.models import CIClass, ConfigurationItem
from cmdb.services.classes import ci_class_update
from cmdb.services.items import ci_create, ci_update

from ..formdata import form_data
from .factories import ci_class


@pytest.fixture
def server(db):
    return ci_create(
        actor=None, name="lon-app-01", ci_class=ci_class("server"), via="system", attributes={"cpu_count": 8}
    )


@pytest.fixture
def tab(client, configuration_manager):
    client.force_login(configuration_manager)

    def open_form(url, testid="ci-form"):
        return form_data(client.get(url).content, testid)

    return open_form


def test_a_save_keeps_the_version_another_tab_set(client, tab, server):
    url = reverse("cmdb:ci_edit", args=[server.pk])
    tab_a, tab_b = tab(url), tab(url)
    tab_b["version"] = "2.4.1"
    assert client.post(url, tab_b).status_code == 302

    tab_a["description"] = "Moved to rack 4."
    response = client.post(url, tab_a)

    assert response.status_code == 302
    server.refresh_from_db()
    assert (server.version, server.description) == ("2.4.1", "Moved to rack 4.")
    assert server.revision == 3


def test_both_changing_one_field_shows_both_and_saves_nothing_until_chosen(
    client, tab, server, configuration_manager
):
    url = reverse("cmdb:ci_edit", args=[server.pk])
    tab_a = tab(f"{url}?editor=json")
    ci_update(ci=server, actor=configuration_manager, attributes={"cpu_count": 16})
    tab_a["attributes"] = json.dumps({"cpu_count": 32})
    tab_a["name"] = "lon-app-01a"

    response = client.post(url, tab_a)

    assert response.status_code == 412
    body = response.content.decode()
    assert 'data-testid="stale-warning"' in body
    assert 'data-testid="conflict-attributes"' in body
    assert "conflict-name" not in body
    server.refresh_from_db()
    assert (server.name, server.attributes) == ("lon-app-01", {"cpu_count": 16})

    again = form_data(body, "ci-form")
    again["resolve-attributes"] = "theirs"
    assert client.post(url, again).status_code == 302
    server.refresh_from_db()
    assert (server.name, server.attributes) == ("lon-app-01a", {"cpu_count": 16})


def test_an_untouched_ci_form_writes_nothing(client, tab, server):
    url = reverse("cmdb:ci_edit", args=[server.pk])

    assert client.post(url, tab(url)).status_code == 302
    assert ConfigurationItem.objects.get(pk=server.pk).revision == 1


def test_a_class_save_keeps_what_another_tab_changed(client, tab, configuration_manager):
    server_class = CIClass.objects.get(code="server")
    url = reverse("cmdb:class_edit", args=[server_class.pk])
    tab_a = tab(url, "class-form")
    ci_class_update(ci_class=server_class, actor=configuration_manager, name="Servers")
    tab_a["description"] = "Physical and virtual servers."

    assert client.post(url, tab_a).status_code == 302
    server_class.refresh_from_db()
    assert (server_class.name, server_class.description) == ("Servers", "Physical and virtual servers.")


def test_a_class_conflict_answers_412(client, tab, configuration_manager):
    server_class = CIClass.objects.get(code="server")
    url = reverse("cmdb:class_edit", args=[server_class.pk])
    tab_a = tab(url, "class-form")
    ci_class_update(ci_class=server_class, actor=configuration_manager, name="Servers")
    tab_a["name"] = "Hosts"

    response = client.post(url, tab_a)

    assert response.status_code == 412
    assert 'data-testid="theirs-name">Servers<' in response.content.decode()
    assert CIClass.objects.get(pk=server_class.pk).name == "Servers"
