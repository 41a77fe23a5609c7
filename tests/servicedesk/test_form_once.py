"""A creating form sent twice creates once (`servicedesk.form_once`)."""

import pytest
from django.test import RequestFactory

from servicedesk.form_once import form_token, submit_once
from servicedesk.models import IdempotencyKey

pytestmark = pytest.mark.django_db


def request_of(user):
    request = RequestFactory().post("/things/new/")
    request.user = user
    return request


def test_the_second_submission_goes_where_the_first_went(agent):
    made = []
    token = form_token()

    def create():
        made.append(len(made) + 1)
        return f"/things/{len(made)}/"

    assert submit_once(request_of(agent), token, create) == ("/things/1/", False)
    assert submit_once(request_of(agent), token, create) == ("/things/1/", True)
    assert made == [1]
    assert submit_once(request_of(agent), form_token(), create) == ("/things/2/", False)


def test_a_failed_creation_leaves_the_token_unused(agent):
    token = form_token()

    def refuse():
        raise ValueError("no")

    with pytest.raises(ValueError, match="no"):
        submit_once(request_of(agent), token, refuse)
    assert not IdempotencyKey.objects.exists()
    assert submit_once(request_of(agent), token, lambda: "/things/1/") == ("/things/1/", False)


def test_tokens_are_per_person_and_a_bad_one_is_ignored(agent, change_manager):
    token = form_token()
    submit_once(request_of(agent), token, lambda: "/things/1/")
    assert submit_once(request_of(change_manager), token, lambda: "/things/2/") == ("/things/2/", False)
    assert submit_once(request_of(agent), "short", lambda: "/things/3/") == ("/things/3/", False)
    assert submit_once(request_of(agent), "short", lambda: "/things/4/") == ("/things/4/", False)
