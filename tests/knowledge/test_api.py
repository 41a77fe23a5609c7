import pytest

from knowledge import workflow as wf
from knowledge.models import Article

pytestmark = pytest.mark.django_db
URL = "/api/v1/knowledge/articles/"


def test_authors_create_and_the_answer_carries_an_etag(api_as, author):
    answer = api_as(author).post(
        URL, {"language": "en", "title": "Map a drive", "body": "Open **Explorer**."}, format="json"
    )
    assert answer.status_code == 201, answer.content
    assert answer.data["number"] == "KB0000001"
    assert answer.data["status"] == "draft"
    assert answer["ETag"]


def test_requesters_may_not_create(api_as, requester):
    answer = api_as(requester).post(URL, {"language": "en", "title": "x", "body": "y"}, format="json")
    assert answer.status_code == 403


def test_invalid_create_is_a_400(api_as, author):
    answer = api_as(author).post(URL, {"language": "fr", "title": "", "body": "y"}, format="json")
    assert answer.status_code == 400


def test_requesters_list_only_portal_articles(api_as, requester, make_article):
    portal = make_article("Portal one", status=wf.PUBLISHED)
    make_article("Agents one", status=wf.PUBLISHED, audience=Article.Audience.AGENTS)
    make_article("Draft one")
    answer = api_as(requester).get(URL)
    assert [row["number"] for row in answer.data["results"]] == [portal.number]


def test_list_searches_words(api_as, agent, make_article):
    make_article("Connect to the VPN", status=wf.PUBLISHED)
    other = make_article("Reset a password", status=wf.PUBLISHED)
    answer = api_as(agent).get(URL, {"q": "password"})
    assert [row["number"] for row in answer.data["results"]] == [other.number]


def test_an_article_not_visible_is_a_404(api_as, requester, make_article):
    article = make_article("Agents one", status=wf.PUBLISHED, audience=Article.Audience.AGENTS)
    assert api_as(requester).get(f"{URL}{article.number}/").status_code == 404


def test_stale_if_match_is_a_412(api_as, author, make_article):
    article = make_article()
    client = api_as(author)
    etag = client.get(f"{URL}{article.number}/")["ETag"]
    fresh = client.patch(f"{URL}{article.number}/", {"audience": "agents"}, format="json", HTTP_IF_MATCH=etag)
    assert fresh.status_code == 200, fresh.content
    stale = client.patch(f"{URL}{article.number}/", {"audience": "portal"}, format="json", HTTP_IF_MATCH=etag)
    assert stale.status_code == 412


def test_text_needs_language_title_and_body_together(api_as, author, make_article):
    article = make_article()
    answer = api_as(author).patch(f"{URL}{article.number}/", {"title": "Only a title"}, format="json")
    assert answer.status_code == 400


def test_transition_publishes_and_refuses_what_is_not_allowed(api_as, author, reviewer, make_article):
    article = make_article(status=wf.REVIEW)
    denied = api_as(author).post(f"{URL}{article.number}/transition/", {"to": "published"}, format="json")
    assert denied.status_code == 403
    answer = api_as(reviewer).post(f"{URL}{article.number}/transition/", {"to": "published"}, format="json")
    assert answer.status_code == 200
    assert answer.data["status"] == "published"
    again = api_as(reviewer).post(f"{URL}{article.number}/transition/", {"to": "review"}, format="json")
    assert again.status_code == 409
    assert "retired" in again.json()["allowed"]
