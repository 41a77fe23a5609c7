"""`comment_submit`: the comment or work note a kind's record page posts, proved on the test-only chore."""

import pytest
from django.test import RequestFactory

from servicedesk.models import TimelineEntry
from servicedesk.records.page_forms import comment_submit

pytestmark = pytest.mark.django_db


def _drawn(request, record, *, status, **context):
    return {"status": status, **context}


def _post(user, data):
    request = RequestFactory().post("/", data)
    request.user = user
    request._messages = type("Messages", (), {"add": lambda *args, **kwargs: None})()
    return request


def test_a_comment_is_added_and_the_page_follows(chore, worker):
    answer = comment_submit(
        _post(worker, {"body": "On it", "visibility": "public"}), chore, page=_drawn, refused="no"
    )
    assert answer.status_code == 302
    entry = TimelineEntry.objects.filter(object_id=chore.pk, kind=TimelineEntry.Kind.COMMENT).get()
    assert (entry.body, entry.is_public) == ("On it", True)


def test_a_work_note_from_who_may_not_write_one_is_refused(chore, requester):
    answer = comment_submit(
        _post(requester, {"body": "psst", "visibility": "note"}), chore, page=_drawn, refused="no"
    )
    assert answer == {"status": 403, "error": "no"}
    assert not TimelineEntry.objects.filter(object_id=chore.pk, kind=TimelineEntry.Kind.WORK_NOTE).exists()


def test_an_empty_comment_draws_the_page_with_the_form_s_errors(chore, worker):
    answer = comment_submit(
        _post(worker, {"body": "", "visibility": "public"}), chore, page=_drawn, refused="no"
    )
    assert answer["status"] == 400
    assert "body" in answer["comment_form"].errors
