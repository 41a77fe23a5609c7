"""Every list of the API answers 400 with a field error for a filter value it cannot read, never a list
that silently ignores the filter (django-filter drops what its yes/no filter does not understand)."""

import pytest
from django import forms

from incidents import services
from itsm.api import router

JUNK = "maybe-not"


def _checked_filters():
    """Each registered list's filters, but those whose every text is a valid value (words, names)."""
    for prefix, viewset, _basename in router.registry:
        filterset = getattr(viewset, "filterset_class", None)
        if filterset is None:
            continue
        for name, declared in filterset.base_filters.items():
            if not issubclass(declared.field_class, forms.CharField):
                yield pytest.param(prefix, name, id=f"{prefix}?{name}")


@pytest.mark.parametrize(("prefix", "name"), list(_checked_filters()))
def test_an_unreadable_filter_value_answers_400_with_its_field(api_as, administrator, prefix, name):
    response = api_as(administrator).get(f"/api/v1/{prefix}/", {name: JUNK})
    assert response.status_code == 400, response.content[:300]
    assert list(response.json()["fields"]) == [name]


def test_the_checked_filters_include_every_kind_that_can_be_wrong():
    checked = {(prefix, name) for prefix, name in (p.values for p in _checked_filters())}
    assert {
        ("incidents", "support_group"),  # an unknown id
        ("incidents", "is_major"),  # yes/no
        ("incidents", "created_after"),  # a date-time
        ("users", "is_active"),  # yes/no generated from Meta.fields
        ("cis", "class"),  # a code
        ("categories", "top_level"),
        ("webhooks", "is_active"),
    } <= checked


@pytest.fixture
def incident(db, requester, support_group):
    return services.incident_create(actor=requester, title="Outlook does not start")


@pytest.mark.parametrize(
    ("value", "expected"), [("true", 1), ("1", 1), ("YES", 1), ("false", 1), ("0", 1), ("", 2)]
)
def test_yes_no_filters_read_the_usual_spellings(api_as, agent, incident, value, expected):
    services.incident_comment(record=incident, actor=agent, body="Public", is_public=True)
    services.incident_comment(record=incident, actor=agent, body="Note", is_public=False)
    response = api_as(agent).get(f"/api/v1/incidents/{incident.number}/comments/", {"is_public": value})
    assert response.status_code == 200
    assert len(response.json()["results"]) == expected


def test_a_sub_resource_list_refuses_an_unreadable_filter_too(api_as, agent, incident):
    response = api_as(agent).get(f"/api/v1/incidents/{incident.number}/comments/", {"is_public": JUNK})
    assert response.status_code == 400
    assert response.json()["fields"] == {"is_public": ["Enter true or false."]}
