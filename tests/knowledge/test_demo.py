import pytest

from knowledge import workflow as wf
from knowledge.demo import seed_knowledge_demo
from knowledge.models import Article, ArticleTranslation
from servicedesk import roles

from ..factories import UserFactory

pytestmark = pytest.mark.django_db


def test_the_demo_publishes_english_and_chinese_articles_once():
    UserFactory(username="bob", roles=[roles.AGENT])
    UserFactory(username="carol", roles=[roles.AGENT, roles.GROUP_MANAGER])
    seed_knowledge_demo()
    seed_knowledge_demo()
    assert Article.objects.filter(status=wf.PUBLISHED, audience="portal").count() == 3
    assert Article.objects.filter(status=wf.REVIEW).count() == 1
    assert ArticleTranslation.objects.filter(language="zh-hans").count() == 3


def test_the_demo_is_skipped_without_its_people():
    seed_knowledge_demo()
    assert not Article.objects.exists()
