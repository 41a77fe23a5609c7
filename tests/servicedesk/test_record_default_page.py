"""The record page a kind gets by registration alone (the test-only chore has no page of its own):
its record, timeline, comments and transitions, as each role may use them, and a stale write refused."""

from servicedesk.models import TimelineEntry
from tests.kernelkind import workflow as wf
from tests.kernelkind.models import Chore


def page(chore, tail=""):
    return f"/records/{chore.number}/{tail}"


def test_each_role_sees_the_page_with_its_own_actions(client, chore, requester, worker, other_requester):
    client.force_login(requester)
    answer = client.get(f"/records/tst{int(chore.number[3:])}/")
    assert answer.status_code == 200
    html = answer.content.decode()
    assert "Water the plants" in html
    assert 'data-testid="transition-drop"' in html
    assert 'data-testid="transition-start"' not in html
    assert 'id="visibility-note"' not in html  # no work notes for a requester
    client.force_login(worker)
    html = client.get(page(chore)).content.decode()
    assert 'data-testid="transition-start"' in html
    assert 'id="visibility-note"' in html
    client.force_login(other_requester)
    assert client.get(page(chore)).status_code == 404


def test_the_page_runs_a_constant_number_of_queries(client, chore, worker, django_assert_max_num_queries):
    client.force_login(worker)
    client.get(page(chore))
    for n in range(5):
        client.post(page(chore, "comment/"), {"body": f"Note {n}", "visibility": "note"})
    with django_assert_max_num_queries(20):
        answer = client.get(page(chore))
    assert answer.content.decode().count('data-testid="timeline-entry"') == 5


def test_a_transition_from_the_page(client, chore, worker):
    client.force_login(worker)
    answer = client.post(page(chore, "transition/"), {"transition": "start", "version": chore.version})
    assert answer.status_code == 302
    assert answer["Location"] == page(chore)
    chore.refresh_from_db()
    assert chore.status == wf.DOING
    assert chore.assignee == worker


def test_a_missing_input_is_shown_and_nothing_changes(client, chore, requester):
    client.force_login(requester)
    answer = client.post(page(chore, "transition/"), {"transition": "drop", "version": chore.version})
    assert answer.status_code == 400
    assert 'data-testid="record-error"' in answer.content.decode()
    assert Chore.objects.get(pk=chore.pk).status == wf.OPEN


def test_a_transition_the_user_may_not_fire_is_a_409(client, chore, requester):
    client.force_login(requester)
    answer = client.post(page(chore, "transition/"), {"transition": "start", "version": chore.version})
    assert answer.status_code == 409
    assert Chore.objects.get(pk=chore.pk).status == wf.OPEN


def test_a_second_tab_cannot_overwrite_what_it_did_not_see(client, chore, requester, worker):
    """Two tabs drew the page at one version; one comments, the other's transition is refused."""
    client.force_login(worker)
    drawn_at = chore.version
    assert (
        client.post(page(chore, "comment/"), {"body": "Meanwhile", "visibility": "public"}).status_code == 302
    )
    answer = client.post(page(chore, "transition/"), {"transition": "start", "version": drawn_at})
    assert answer.status_code == 412
    assert "Meanwhile" in answer.content.decode()  # the page as it is now
    assert Chore.objects.get(pk=chore.pk).status == wf.OPEN


def test_comments_and_work_notes_from_the_page(client, chore, requester, worker):
    client.force_login(requester)
    assert client.post(page(chore, "comment/"), {"body": "Which ones?"}).status_code == 302
    refused = client.post(page(chore, "comment/"), {"body": "secret", "visibility": "note"})
    assert refused.status_code == 403
    client.force_login(worker)
    client.post(page(chore, "comment/"), {"body": "The cactus", "visibility": "note"})
    kinds = list(
        TimelineEntry.objects.filter(object_id=chore.pk, content_type__model="chore")
        .order_by("id")
        .values_list("kind", "body")
    )
    assert kinds == [("comment", "Which ones?"), ("work_note", "The cactus")]
    client.force_login(requester)
    html = client.get(page(chore)).content.decode()
    assert "Which ones?" in html
    assert "The cactus" not in html
