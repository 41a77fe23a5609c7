import pytest
from django.core.exceptions import ValidationError

from knowledge import workflow as wf
from knowledge.models import Article, ArticleFeedback, ArticleRevision
from knowledge.services import article_create, article_feedback, article_transition, article_update
from servicedesk.errors import Conflict, InvalidTransition, PermissionDenied, StaleWrite

pytestmark = pytest.mark.django_db


def test_create_numbers_the_draft_and_records_its_first_revision(author):
    first = article_create(actor=author, language="en", title="Reset a password", body="Go to the site.")
    second = article_create(actor=author, language="zh-hans", title="重置密码", body="访问网站。")
    assert (first.number, second.number) == ("KB0000001", "KB0000002")
    assert first.status == wf.DRAFT
    assert first.owner == author
    assert list(ArticleRevision.objects.filter(article=first).values_list("title", flat=True)) == [
        "Reset a password"
    ]


def test_requesters_may_not_write_articles(requester):
    with pytest.raises(PermissionDenied):
        article_create(actor=requester, language="en", title="x", body="y")


@pytest.mark.parametrize("field", ["title", "body", "language"])
def test_create_refuses_missing_text(author, field):
    values = {"language": "en", "title": "T", "body": "B", field: ""}
    with pytest.raises(ValidationError) as error:
        article_create(actor=author, **values)
    assert field in error.value.message_dict


def test_a_second_language_is_a_version_of_its_own_with_history(author, make_article):
    article = make_article()
    article = article_update(
        actor=author, article=article, language="zh-hans", title="连接 VPN", body="打开客户端。"
    )
    article = article_update(
        actor=author, article=article, language="en", title="Connect to the VPN", body="New."
    )
    assert sorted(article.translations.values_list("language", flat=True)) == ["en", "zh-hans"]
    assert article.revisions.count() == 3
    assert article.version == 3


def test_saving_the_same_text_changes_nothing(author, make_article):
    article = make_article(title="T", body="B")
    again = article_update(actor=author, article=article, language="en", title="T", body="B")
    assert again.version == article.version
    assert article.revisions.count() == 1


def test_a_stale_edit_is_refused(author, make_article):
    article = make_article()
    article_update(actor=author, article=article, expected_version=1, language="en", title="New", body="B")
    with pytest.raises(StaleWrite):
        article_update(
            actor=author, article=article, expected_version=1, language="en", title="Old", body="B"
        )


def test_author_sends_for_review_and_reviewer_publishes(author, reviewer, make_article):
    article = make_article()
    article = article_transition(actor=author, article=article, to=wf.REVIEW)
    with pytest.raises(PermissionDenied):
        article_transition(actor=author, article=article, to=wf.PUBLISHED)
    article = article_transition(actor=reviewer, article=article, to=wf.PUBLISHED)
    assert article.status == wf.PUBLISHED
    assert article.published_at is not None


def test_send_back_needs_a_reason(author, reviewer, make_article):
    article = make_article(status=wf.REVIEW)
    with pytest.raises(ValidationError):
        article_transition(actor=reviewer, article=article, to=wf.DRAFT)
    article = article_transition(actor=reviewer, article=article, to=wf.DRAFT, reason="Add screenshots")
    assert article.status == wf.DRAFT


@pytest.mark.parametrize(
    ("status", "to"),
    [(wf.DRAFT, wf.RETIRED), (wf.PUBLISHED, wf.REVIEW), (wf.RETIRED, wf.PUBLISHED), (wf.PUBLISHED, wf.DRAFT)],
)
def test_illegal_moves_are_refused_with_the_allowed_ones(reviewer, make_article, status, to):
    article = make_article(status=status)
    with pytest.raises(InvalidTransition) as error:
        article_transition(actor=reviewer, article=article, to=to)
    assert to not in error.value.extra["allowed"]


def test_a_published_article_is_edited_by_reviewers_only(author, reviewer, make_article):
    article = make_article(status=wf.PUBLISHED)
    with pytest.raises(PermissionDenied):
        article_update(actor=author, article=article, language="en", title="Changed", body="B")
    article = article_update(actor=reviewer, article=article, language="en", title="Changed", body="B")
    assert article.translations.get().title == "Changed"


def test_a_retired_article_is_not_edited(reviewer, make_article):
    article = make_article(status=wf.RETIRED)
    with pytest.raises(PermissionDenied):
        article_update(actor=reviewer, article=article, review_on=None, audience="agents")


def test_feedback_counts_once_per_person_and_can_change(requester, make_article):
    article = make_article(status=wf.PUBLISHED)
    article_feedback(user=requester, article=article, helpful=True)
    article_feedback(user=requester, article=article, helpful=True)
    assert ArticleFeedback.objects.filter(article=article, helpful=True).count() == 1
    article_feedback(user=requester, article=article, helpful=False)
    assert list(ArticleFeedback.objects.filter(article=article).values_list("helpful", flat=True)) == [False]


def test_feedback_on_an_agents_only_article_is_refused_to_requesters(requester, make_article):
    article = make_article(status=wf.PUBLISHED, audience=Article.Audience.AGENTS)
    with pytest.raises(PermissionDenied):
        article_feedback(user=requester, article=article, helpful=True)


def test_feedback_on_an_unpublished_article_is_a_conflict(requester, make_article):
    article = make_article(status=wf.REVIEW)
    with pytest.raises(Conflict):
        article_feedback(user=requester, article=article, helpful=True)
