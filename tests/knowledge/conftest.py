import pytest

from knowledge import workflow as wf
from knowledge.services import article_create, article_transition

from ..factories import UserFactory


@pytest.fixture
def author(agent):
    return agent


@pytest.fixture
def reviewer(group_manager):
    return group_manager


@pytest.fixture
def make_article(author, reviewer):
    """`make_article(title, body, status=..., audience=..., language=...)` through the services."""

    def _make(title="Connect to the VPN", body="Open **GlobalProtect** and sign in.", *, status=wf.DRAFT,
              audience="portal", language="en", **kwargs):  # fmt: skip
        article = article_create(
            actor=author, language=language, title=title, body=body, audience=audience, **kwargs
        )
        if status in (wf.REVIEW, wf.PUBLISHED, wf.RETIRED):
            article = article_transition(actor=author, article=article, to=wf.REVIEW)
        if status in (wf.PUBLISHED, wf.RETIRED):
            article = article_transition(actor=reviewer, article=article, to=wf.PUBLISHED)
        if status == wf.RETIRED:
            article = article_transition(actor=reviewer, article=article, to=wf.RETIRED)
        return article

    return _make


@pytest.fixture
def chinese_requester(db, organisation):
    from servicedesk import roles

    return UserFactory(
        username="liwei", roles=[roles.REQUESTER], organisation=organisation, language="zh-hans"
    )
