import pytest

from knowledge import workflow as wf
from knowledge.models import Article
from knowledge.selectors import article_search, knowledge_search
from knowledge.services import article_transition, article_update

pytestmark = pytest.mark.django_db


def _numbers(matches):
    return [match.article.number for match in matches]


def test_requesters_find_only_what_is_published_to_the_portal(requester, make_article):
    portal = make_article("Connect to the VPN from home", status=wf.PUBLISHED)
    make_article("VPN gateway restart", status=wf.PUBLISHED, audience=Article.Audience.AGENTS)
    make_article("VPN draft notes", status=wf.DRAFT)
    assert _numbers(article_search(user=requester, text="VPN")) == [portal.number]


def test_agents_find_published_articles_for_agents_too(agent, make_article):
    agents_only = make_article("VPN gateway restart", status=wf.PUBLISHED, audience=Article.Audience.AGENTS)
    assert agents_only.number in _numbers(article_search(user=agent, text="gateway"))
    assert _numbers(article_search(user=agent, text="gateway", portal=True)) == []


def test_title_matches_rank_before_body_matches_and_stems_match(agent, make_article):
    body_only = make_article("Set up e-mail", body="Printers are not covered here.", status=wf.PUBLISHED)
    title = make_article("Add a printer", body="Open the settings.", status=wf.PUBLISHED)
    assert _numbers(article_search(user=agent, text="printers")) == [title.number, body_only.number]


def test_chinese_words_are_found_inside_a_run_of_chinese(author, chinese_requester, make_article):
    article = make_article("Connect to the VPN", status=wf.DRAFT)
    article = article_update(
        actor=author, article=article, language="zh-hans", title="在家连接虚拟专用网", body="打开客户端登录。"
    )
    from knowledge.services import article_transition

    article = article_transition(actor=author, article=article, to=wf.REVIEW)
    from servicedesk.models import User
    from tests.factories import UserFactory  # noqa: F401

    reviewer = User.objects.get(username="manager")
    article_transition(actor=reviewer, article=article, to=wf.PUBLISHED)
    (match,) = article_search(user=chinese_requester, text="连接")
    assert match.translation.language == "zh-hans"


def test_an_article_shows_in_the_readers_language_whichever_version_matched(
    author, reviewer, chinese_requester, make_article
):
    article = make_article("Reset your password", body="Go to the reset site.")
    article_update(actor=author, article=article, language="zh-hans", title="重置密码", body="访问网站。")
    article_transition(actor=author, article=article, to=wf.REVIEW)
    article_transition(actor=reviewer, article=article, to=wf.PUBLISHED)
    (match,) = article_search(user=chinese_requester, text="password")
    assert match.translation.title == "重置密码"


def test_knowledge_search_groups_articles_and_workarounds(requester, make_article):
    make_article("Connect to the VPN from home", status=wf.PUBLISHED)
    groups = {source.key: hits for source, hits in knowledge_search(user=requester, text="VPN", portal=True)}
    assert set(groups) >= {"articles", "workarounds"}
    assert [hit.title for hit in groups["articles"]] == ["Connect to the VPN from home"]


def test_knowledge_search_of_requesters_stays_in_the_portal(requester, make_article):
    make_article("VPN gateway restart", status=wf.PUBLISHED, audience=Article.Audience.AGENTS)
    groups = {source.key: hits for source, hits in knowledge_search(user=requester, text="VPN", portal=False)}
    assert groups["articles"] == []


def test_blank_words_find_nothing(agent, make_article):
    make_article(status=wf.PUBLISHED)
    assert article_search(user=agent, text="  ") == []
    assert knowledge_search(user=agent, text="", portal=False) == []
