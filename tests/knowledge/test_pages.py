"""The knowledge pages: the agents' knowledge base, the portal's article page with "was this helpful",
the portal's one search box, the articles among the deflection suggestions, and an article from an
incident's resolution."""

import re

import pytest
from django.urls import reverse

from incidents import services as incident_services
from knowledge import workflow as wf
from knowledge.models import Article, ArticleFeedback
from knowledge.services import article_update
from servicedesk.form_once import form_token
from servicedesk.records.transitions import record_transition

pytestmark = pytest.mark.django_db
HOME = reverse("knowledge:home")
NEW = reverse("knowledge:new")
PORTAL_SEARCH = reverse("incidents:portal_search")


def article_url(article, name="knowledge:article"):
    return reverse(name, args=[article.number])


@pytest.fixture
def as_agent(client, author):
    client.force_login(author)
    return client


@pytest.fixture
def as_reviewer(client, reviewer):
    client.force_login(reviewer)
    return client


@pytest.fixture
def as_requester(client, requester):
    client.force_login(requester)
    return client


# The agents' knowledge base


def test_home_lists_articles_in_constant_queries(as_agent, make_article, django_assert_max_num_queries):
    for n in range(6):
        make_article(f"Article {n}", status=wf.PUBLISHED)
    with django_assert_max_num_queries(16):
        body = as_agent.get(HOME).content.decode()
    assert body.count('data-testid="kb-row"') == 6


def test_home_search_groups_articles_and_workarounds(as_agent, make_article, django_assert_max_num_queries):
    for n in range(4):
        make_article(f"VPN tip {n}", status=wf.PUBLISHED)
    with django_assert_max_num_queries(22):
        body = as_agent.get(HOME, {"q": "VPN"}).content.decode()
    assert body.count('data-testid="knowledge-hit" data-source="articles"') == 4
    assert 'data-source="workarounds"' in body


def test_requesters_and_strangers_do_not_see_the_knowledge_base(client, requester):
    client.force_login(requester)
    assert client.get(HOME).status_code == 404
    client.logout()
    assert client.get(HOME).status_code == 302


def test_article_page_renders_markdown_sanitised(as_agent, make_article):
    article = make_article("Danger", body="**bold** <script>alert(1)</script>", status=wf.PUBLISHED)
    body = as_agent.get(article_url(article)).content.decode()
    assert "<strong>bold</strong>" in body
    assert "<script>alert(1)" not in body


def test_article_page_shows_each_language_version(as_agent, author, make_article):
    article = make_article("Reset your password", body="Go to the site.")
    article_update(actor=author, article=article, language="zh-hans", title="重置密码", body="访问网站。")
    body = as_agent.get(article_url(article), {"lang": "zh-hans"}).content.decode()
    assert "重置密码" in body
    assert "?lang=en" in body


def test_new_article_is_made_once_for_a_double_submit(as_agent):
    token = form_token()
    data = {
        "language": "en",
        "title": "Map a drive",
        "body": "Open Explorer.",
        "audience": "portal",
        "form_token": token,
    }
    first = as_agent.post(NEW, data)
    second = as_agent.post(NEW, data)
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"]
    assert Article.objects.count() == 1


def test_new_article_with_errors_is_a_400(as_agent):
    response = as_agent.post(NEW, {"language": "en", "title": "", "body": "", "audience": "portal"})
    assert response.status_code == 400
    assert Article.objects.count() == 0


def test_a_stale_edit_is_a_412_and_keeps_the_newer_text(as_agent, author, make_article):
    article = make_article("First", body="One.")
    article_update(actor=author, article=article, language="en", title="Second", body="Two.")
    url = article_url(article, "knowledge:edit")
    data = {"language": "en", "title": "Stale", "body": "Old.", "audience": "portal", "version": 1}
    assert as_agent.post(url, data).status_code == 412
    assert article.translations.get().title == "Second"


def test_the_reviewer_publishes_from_the_article_page(as_reviewer, make_article):
    article = make_article(status=wf.REVIEW)
    body = as_reviewer.get(article_url(article)).content.decode()
    assert 'data-testid="transition-publish"' in body
    as_reviewer.post(
        reverse("knowledge:transition", args=[article.number]),
        {"to": "published", "version": article.version},
    )
    article.refresh_from_db()
    assert article.status == wf.PUBLISHED


def test_an_author_has_no_publish_button_and_cannot_publish(as_agent, make_article):
    article = make_article(status=wf.REVIEW)
    assert 'data-testid="transition-publish"' not in as_agent.get(article_url(article)).content.decode()
    response = as_agent.post(reverse("knowledge:transition", args=[article.number]), {"to": "published"})
    assert response.status_code == 403
    article.refresh_from_db()
    assert article.status == wf.REVIEW


def test_an_illegal_move_is_a_message_not_an_error(as_reviewer, make_article):
    article = make_article(status=wf.DRAFT)
    response = as_reviewer.post(
        reverse("knowledge:transition", args=[article.number]), {"to": "retired"}, follow=True
    )
    assert response.status_code == 200
    article.refresh_from_db()
    assert article.status == wf.DRAFT


def test_review_queue_is_for_reviewers(as_reviewer, client, author, make_article):
    article = make_article(status=wf.REVIEW)
    assert article.number in as_reviewer.get(reverse("knowledge:review")).content.decode()
    client.force_login(author)
    assert client.get(reverse("knowledge:review")).status_code == 404


def test_history_shows_what_changed(as_agent, author, make_article):
    article = make_article("Title", body="Line one\nLine two")
    article_update(actor=author, article=article, language="en", title="Title", body="Line one\nLine 2")
    body = as_agent.get(article_url(article, "knowledge:history")).content.decode()
    assert body.count('data-testid="revision"') == 2
    assert re.search(r"<del[^>]*>- Line two</del>", body)
    assert re.search(r"<ins[^>]*>\+ Line 2</ins>", body)


def test_owners_see_their_articles_due_for_review(as_agent, author, reviewer, make_article):
    import datetime

    make_article("Old one", status=wf.PUBLISHED, review_on=datetime.date(2020, 1, 1))
    body = as_agent.get(HOME).content.decode()
    assert 'data-testid="kb-due"' in body


# The portal's article page


def test_requesters_read_portal_articles_only(as_requester, make_article):
    portal = make_article("Portal one", status=wf.PUBLISHED)
    agents = make_article("Agents one", status=wf.PUBLISHED, audience=Article.Audience.AGENTS)
    draft = make_article("Draft one")
    assert as_requester.get(article_url(portal, "knowledge:portal_article")).status_code == 200
    assert as_requester.get(article_url(agents, "knowledge:portal_article")).status_code == 404
    assert as_requester.get(article_url(draft, "knowledge:portal_article")).status_code == 404


def test_helpful_is_counted_once_per_person_and_changeable(as_requester, requester, make_article):
    article = make_article(status=wf.PUBLISHED)
    url = reverse("knowledge:portal_feedback", args=[article.number])
    as_requester.post(url, {"helpful": "yes"})
    as_requester.post(url, {"helpful": "yes"})
    body = as_requester.get(article_url(article, "knowledge:portal_article")).content.decode()
    assert 'data-yes="1"' in body
    as_requester.post(url, {"helpful": "no"})
    assert list(ArticleFeedback.objects.values_list("user", "helpful")) == [(requester.pk, False)]


def test_the_portal_article_page_takes_constant_queries(
    as_requester, make_article, django_assert_max_num_queries
):
    article = make_article(status=wf.PUBLISHED)
    with django_assert_max_num_queries(12):
        assert as_requester.get(article_url(article, "knowledge:portal_article")).status_code == 200


# The portal's one search box


def test_portal_home_has_the_search_box(as_requester):
    assert 'data-testid="portal-search-box"' in as_requester.get(reverse("incidents:portal")).content.decode()


def test_portal_search_finds_my_records_and_portal_knowledge_grouped(
    as_requester, requester, other_requester, make_article, django_assert_max_num_queries
):
    mine = incident_services.incident_create(actor=requester, title="Printer jams on floor 2")
    theirs = incident_services.incident_create(actor=other_requester, title="Printer out of toner")
    article = make_article("Clear a printer jam", status=wf.PUBLISHED)
    hidden = make_article(
        "Printer firmware for agents", status=wf.PUBLISHED, audience=Article.Audience.AGENTS
    )
    with django_assert_max_num_queries(22):
        body = as_requester.get(PORTAL_SEARCH, {"q": "printer"}).content.decode()
    assert f'data-number="{mine.number}"' in body
    assert theirs.number not in body
    assert f'data-number="{article.number}"' in body
    assert hidden.number not in body
    assert 'data-source="workarounds"' in body


def test_portal_search_without_words_shows_only_the_box(as_requester):
    body = as_requester.get(PORTAL_SEARCH).content.decode()
    assert 'data-testid="portal-search-results"' not in body


# Suggestions while typing a new incident


def test_typing_a_new_incident_suggests_portal_articles(as_requester, make_article):
    article = make_article("Connect to the VPN from home", status=wf.PUBLISHED)
    make_article("VPN gateway restart", status=wf.PUBLISHED, audience=Article.Audience.AGENTS)
    page = as_requester.get(reverse("incidents:portal_new_incident")).content.decode()
    token = re.search(r'name="deflection_token" id="id_deflection_token" value="([^"]+)"', page)[1]
    html = as_requester.get(
        reverse("problems_portal:suggestions"), {"title": "VPN from home", "deflection_token": token}
    ).content.decode()
    assert re.findall(r'data-testid="suggested-article" data-number="([^"]+)"', html) == [article.number]


# An article from an incident's resolution


@pytest.fixture
def resolved_incident(requester, agent):
    incident = incident_services.incident_create(
        actor=requester, title="Outlook keeps asking for the password", description="Since this morning."
    )
    return record_transition(
        record=incident, actor=agent, to="resolved", resolution_code="solved",
        resolution_notes="Removed the **stale credential** from the Credential Manager.",
    )  # fmt: skip


def test_a_resolution_becomes_a_draft_linked_back(as_agent, resolved_incident):
    page = as_agent.get(reverse("record", args=[resolved_incident.number])).content.decode()
    assert 'data-testid="article-from-resolution"' in page
    token = form_token()
    url = reverse("incidents:article_from_resolution", args=[resolved_incident.number])
    first = as_agent.post(url, {"form_token": token})
    second = as_agent.post(url, {"form_token": token})
    assert first["Location"] == second["Location"]
    article = Article.objects.get()
    text = article.translations.get()
    assert article.status == wf.DRAFT
    assert article.source_number == resolved_incident.number
    assert text.title == resolved_incident.title
    assert "stale credential" in text.body
    page = as_agent.get(reverse("record", args=[resolved_incident.number])).content.decode()
    assert 'data-testid="record-article-link"' in page


def test_no_article_from_an_open_incident(as_agent, requester):
    incident = incident_services.incident_create(actor=requester, title="Still broken")
    page = as_agent.get(reverse("record", args=[incident.number])).content.decode()
    assert 'data-testid="article-from-resolution"' not in page
    as_agent.post(reverse("incidents:article_from_resolution", args=[incident.number]))
    assert Article.objects.count() == 0


def test_requesters_cannot_turn_a_resolution_into_an_article(as_requester, resolved_incident):
    response = as_requester.post(
        reverse("incidents:article_from_resolution", args=[resolved_incident.number])
    )
    assert response.status_code in (403, 404)
    assert Article.objects.count() == 0
