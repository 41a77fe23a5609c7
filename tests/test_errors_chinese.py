"""Issue 19 item 10: a Chinese reader's validation messages and help texts are Chinese: the API's errors
(with a personal token as with a session), a page's form errors, the "Allowed:" line of the attachments, and
the messages of a CI's attributes checked against its class's JSON Schema. Each answer is searched for the
catalogue's English sentences (tests/chinese.py), and Django's and DRF's own messages are checked by text.
"""

import json
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from cmdb.models import CIClass
from servicedesk import roles
from servicedesk.services.tokens import api_token_create

from .chinese import EnglishFinder
from .factories import UserFactory

CHINESE = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture(scope="module")
def english_finder():
    return EnglishFinder()


@pytest.fixture
def reader(db):
    return UserFactory(
        username="liwei",
        full_name="李伟",
        language="zh-hans",
        roles=[roles.AGENT, roles.CONFIGURATION_MANAGER],
    )


@pytest.fixture
def token_client(reader):
    _token, key = api_token_create(user=reader, actor=reader, name="脚本")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    return client


def english_in(english_finder, body) -> set[str]:
    from html import escape

    text = body if isinstance(body, str) else json.dumps(body, ensure_ascii=False)
    return english_finder.find(escape(text))


def messages_of(body: dict) -> list[str]:
    return [body["message"], *(m for messages in body.get("fields", {}).values() for m in messages)]


def test_the_apis_errors_answer_a_token_user_in_their_language(token_client, english_finder):
    response = token_client.post(
        "/api/v1/incidents/", {"title": "", "urgency": 9, "channel": "pigeon"}, format="json"
    )

    assert response.status_code == 400
    body = response.json()
    assert set(body["fields"]) >= {"title", "urgency", "channel"}
    assert all(CHINESE.search(message) for message in messages_of(body)), body
    assert not english_in(english_finder, body)


def test_a_token_client_asking_for_a_language_gets_it(token_client):
    response = token_client.post(
        "/api/v1/incidents/", {"title": ""}, format="json", HTTP_ACCEPT_LANGUAGE="en"
    )

    assert response.status_code == 400
    assert response.json()["fields"]["title"] == ["This field may not be blank."]


def test_a_pages_form_errors_and_the_allowed_line_of_the_attachments_are_chinese(
    client, reader, english_finder
):
    client.force_login(reader)
    page = client.get("/portal/new/incident/").content.decode()
    assert "允许" in page  # the attachments' help: "Allowed: …"

    invalid = client.post("/portal/new/incident/", {"title": "", "description": "", "urgency": "9"})
    attached = client.post(
        "/portal/new/incident/",
        {
            "title": "打印机卡纸",
            "description": "三楼的打印机卡纸了。",
            "urgency": "2",
            "attachments": SimpleUploadedFile("setup.exe", b"MZ"),
        },
    )

    for response in (invalid, attached):
        html = response.content.decode()
        assert response.status_code in (200, 400)
        assert "invalid-feedback" in html or "alert-danger" in html
        assert not english_finder.find(html)
    assert "此字段为必填项。" in invalid.content.decode()  # Django's own message, in Chinese
    assert "“exe”" in attached.content.decode()
    assert "cannot be attached" not in attached.content.decode()


@pytest.fixture
def database_class(db):
    ci_class = CIClass.objects.get(code="database")
    ci_class.attribute_schema = {
        "properties": {
            **ci_class.attribute_schema["properties"],
            "owner_team": {"type": "string", "minLength": 3, "maxLength": 5},
            "replicas": {"type": "array", "items": {"type": "integer"}, "uniqueItems": True, "maxItems": 2},
            "weight": {"type": "number", "exclusiveMinimum": 0, "multipleOf": 0.5},
        }
    }
    ci_class.save(update_fields=["attribute_schema"])
    return ci_class


def test_a_cis_attribute_errors_are_chinese_for_every_json_schema_rule(
    token_client, database_class, english_finder
):
    response = token_client.post(
        "/api/v1/cis/",
        {
            "name": "db-01",
            "ci_class": database_class.code,
            "attributes": {
                "engine": "dbase",
                "port": 70000,
                "owner_team": "x",
                "replicas": [1, 1, 2],
                "weight": 0.3,
            },
        },
        format="json",
    )

    assert response.status_code == 400, response.json()
    fields = response.json()["fields"]
    expected = {"engine", "port", "owner_team", "replicas", "weight"}
    assert {key.removeprefix("attributes.") for key in fields} >= expected, fields
    assert all(CHINESE.search(message) for messages in fields.values() for message in messages), fields
    assert not english_in(english_finder, fields)
