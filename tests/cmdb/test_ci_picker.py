"""The CI picker (`cmdb.pickers`): found by name, identifiers and class; labelled with both."""

import re

import pytest
from django.urls import reverse

from cmdb.pickers import ci_label

from .factories import CIFactory, ci_class

pytestmark = pytest.mark.django_db


def found(client, text: str) -> list[str]:
    response = client.get(reverse("pick_options", args=["cis"]), {"q": text, "target": "cis-options"})
    assert response.status_code == 200
    return re.findall(r'<option value="\d+">([^<]*)</option>', response.content.decode())


@pytest.fixture
def cis(db):
    return {
        "web": CIFactory(name="web-01", hostname="web-01.corp.example", serial_number="SN-4471-XA"),
        "db": CIFactory(name="pay-db", ci_class=ci_class("database"), asset_tag="AT-0093"),
        "switch": CIFactory(name="core-sw", ci_class=ci_class("network_device"), serial_number="FOC1234"),
    }


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("4471", ["web-01 · Server · web-01.corp.example"]),
        ("corp.example", ["web-01 · Server · web-01.corp.example"]),
        ("at-0093", ["pay-db · Database · AT-0093"]),
        ("database", ["pay-db · Database · AT-0093"]),
        ("network foc", ["core-sw · Network device · FOC1234"]),
        ("web oracle", []),
    ],
    ids=["serial", "host name", "asset tag", "class", "class and serial", "every word must match"],
)
def test_a_ci_is_found_by_its_identifiers_and_class(client, agent, cis, text, expected):
    client.force_login(agent)
    assert found(client, text) == expected


def test_the_label_leaves_out_an_identifier_equal_to_the_name(db):
    ci = CIFactory(name="gateway", hostname="gateway")
    assert ci_label(ci) == "gateway · Server"


def test_a_requester_cannot_search_the_cmdb(client, requester, cis):
    client.force_login(requester)
    response = client.get(reverse("pick_options", args=["cis"]), {"q": "web", "target": "cis-options"})
    assert response.status_code == 404
