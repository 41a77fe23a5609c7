"""A request as a person who reads Chinese leaves Chinese active in the thread (as Django's LocaleMiddleware
does); the suite's `_default_language` fixture keeps it from leaking into the next test, whose messages would
otherwise come out in Chinese (it made two CMDB tests fail, depending on the order)."""

import pytest
from django.utils import translation

from servicedesk import roles
from tests.factories import UserFactory


@pytest.mark.django_db
def test_a_request_as_a_chinese_reader(client):
    user = UserFactory(username="li", roles=[roles.REQUESTER], language="zh-hans")
    client.force_login(user)
    client.get("/")
    assert translation.get_language() == "zh-hans", "the request left Chinese active"


def test_the_next_test_starts_in_english():
    assert translation.get_language() == "en"
