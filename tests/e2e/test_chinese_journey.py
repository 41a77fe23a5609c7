"""Issue 19, "Done when": a Chinese requester's whole journey through the portal in a real browser shows no
English. Wei's profile says Simplified Chinese and her browser asks for Chinese; she signs in, sees the outage
banner and what waits for her, finds a help article with the portal's search box and says it helped, types a
new incident and is offered the known workaround, files it and replies to it, fills a catalogue form with
its own fields, follows the major incident, confirms a resolution, opens the bell, her notification
preferences and signs out. Every e-mail the desk sent her on the way is Chinese too.
On every page reached, and in every fragment htmx swaps in, `tests.chinese.EnglishFinder` looks for the
English sentences the catalogue translates; the test fails naming the page and what it found. A few Chinese
words expected on each page make a page that fell back to English entirely fail as well. What the desk
holds (services, titles, the workaround) is written in Chinese here, as a Chinese site would write it.
"""

import re
from html import escape

import pytest
from django.core import mail
from django.utils import translation
from playwright.sync_api import expect

from incidents import services
from incidents.models import Incident
from knowledge import workflow as knowledge_wf
from knowledge.models import Article, ArticleFeedback
from knowledge.services import article_create, article_transition
from problems import workflow as problems_wf
from problems.models import KnownError
from problems.services import known_error_publish, problem_create
from servicedesk.records.transitions import record_transition
from servicedesk.roles import AGENT, GROUP_MANAGER, PROBLEM_MANAGER, REQUESTER
from servicedesk.services.watchers import watching
from tests.chinese import EnglishFinder, demo_literals, visible_text
from tests.factories import PASSWORD, SupportGroupFactory, UserFactory
from tests.incidents.factories import BusinessServiceFactory, RequestTypeFactory

# Every htmx answer the page receives, kept until the test reads it (navigation starts a fresh list).
_RECORD_HTMX_ANSWERS = """
window.__htmxAnswers = [];
document.addEventListener("htmx:afterRequest", (event) => {
  const xhr = event.detail.xhr;
  const path = (event.detail.pathInfo || {}).requestPath || "";
  if (xhr) window.__htmxAnswers.push({path, html: xhr.responseText});
});
"""


ARTICLE_TITLE = "远程办公网络 断线后如何重新连接"
# A Chinese desk writes its catalogue form in Chinese: the labels are its data, the messages are the desk's.
LAPTOP_FORM = {
    "type": "object",
    "x-order": ["model", "cost_centre"],
    "properties": {
        "model": {"type": "string", "title": "型号", "enum": ["标准 14 英寸", "开发 16 英寸"]},
        "cost_centre": {"type": "string", "title": "成本中心", "minLength": 4, "maxLength": 12},
    },
    "required": ["model", "cost_centre"],
}
CHINESE = re.compile(r"[\u4e00-\u9fff]")
# The service field is a search-as-you-type picker: choose the service as the picker would.
CHOOSE_SERVICE = """(pk) => {
    const select = document.getElementById("id_service");
    if (![...select.options].some((o) => o.value === String(pk))) select.add(new Option("远程办公网络", pk));
    select.value = String(pk);
    select.dispatchEvent(new Event("change", {bubbles: true}));
}"""


@pytest.fixture(scope="module")
def english_finder():
    return EnglishFinder(data=demo_literals())


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    """A Chinese requester's browser asks for Chinese (the sign-in page, before the desk knows her)."""
    return {**browser_context_args, "locale": "zh-CN"}


class ChineseReader:
    """Checks what the page shows, and every htmx answer since the last check, for English."""

    def __init__(self, page, finder):
        self.page = page
        self.finder = finder
        self.pages: list[str] = []
        page.add_init_script(_RECORD_HTMX_ANSWERS)

    def check(self, where: str, *chinese: str) -> None:
        self.page.wait_for_load_state("networkidle")
        html = self.page.content()
        assert '<html lang="zh-hans"' in html, f"{where}: the page is not in Chinese"
        english = self.finder.find(html)
        assert not english, f"English on the Chinese page {where} ({self.page.url}): {sorted(english)}"
        text = visible_text(html)
        missing = [word for word in chinese if word not in text]
        assert not missing, f"{where} ({self.page.url}) lacks the Chinese {missing}: fell back to English?"
        for answer in self.page.evaluate("() => (window.__htmxAnswers || []).splice(0)"):
            english = self.finder.find(answer["html"])
            assert not english, f"English in the htmx answer {answer['path']} on {where}: {sorted(english)}"
        self.pages.append(where)


def _desk():
    """An agent of the network group, the VPN service, a known error published to the portal, and a
    request type in the catalogue; written in Chinese, with Chinese active, as a Chinese desk would."""
    manager = UserFactory(full_name="王经理", roles=[AGENT, GROUP_MANAGER, PROBLEM_MANAGER])
    network = SupportGroupFactory(name="网络组", members=[manager], manager=manager)
    vpn = BusinessServiceFactory(name="远程办公网络", support_group=network)
    problem = problem_create(actor=manager, title="远程办公网络每小时断线", service=vpn)
    problem = record_transition(
        record=problem, actor=manager, to=problems_wf.KNOWN_ERROR, root_cause="网关的空闲计时器。",
        workaround="先点击**断开**，再点击**连接**。",
    )  # fmt: skip
    known_error_publish(actor=manager, problem=problem, status=KnownError.Status.PORTAL)
    major = services.incident_create(
        actor=manager, requester=manager, title="远程办公网络全部中断", service=vpn
    )
    major = services.incident_declare_major(record=major, actor=manager, is_major=True)
    laptop = RequestTypeFactory(name="新笔记本电脑", service=vpn, form_schema=LAPTOP_FORM)
    article = article_create(
        actor=manager, language="zh-hans", title=ARTICLE_TITLE, audience=Article.Audience.PORTAL,
        body="打开客户端，点击**断开**，等待十秒后再点击**连接**。",
    )  # fmt: skip
    article = article_transition(actor=manager, article=article, to=knowledge_wf.PUBLISHED)
    return manager, vpn, major, laptop


def _resolved_for(requester, agent, title):
    record = services.incident_create(actor=requester, title=title)
    record = services.incident_transition(record=record, actor=agent, to="in_progress")
    return services.incident_transition(
        record=record, actor=agent, to="resolved", resolution_code="solved", resolution_notes="已更换硒鼓。"
    )


def _check_mail(finder, message):
    """An e-mail's subject, text and HTML show no English sentence of the catalogue; a Chinese subject."""
    html = "".join(content for content, kind in getattr(message, "alternatives", []) if kind == "text/html")
    for part, text in (("subject", message.subject), ("text", message.body), ("HTML", html)):
        english = finder.find(text if part == "HTML" else f"<p>{escape(text)}</p>")
        assert not english, f"English in the e-mail “{message.subject}” ({part}): {sorted(english)}"
    assert CHINESE.search(message.subject), f"An e-mail's subject is not in Chinese: {message.subject}"


def _sign_in(page, reader, live_server, user):
    page.goto(f"{live_server.url}/login/")
    reader.check("the sign-in page", "登录", "忘记密码")
    page.locator("#id_username").fill(user.username)
    page.locator("#id_password").fill(PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(f"{live_server.url}/")


def test_a_chinese_requesters_whole_journey_shows_no_english(
    page, live_server, browser_log, english_finder, settings
):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    with translation.override("zh-hans"):
        manager, vpn, major, laptop = _desk()
        wei = UserFactory(username="liwei", full_name="李伟", language="zh-hans", roles=[REQUESTER])
        printer = _resolved_for(wei, manager, "打印机卡纸")
    reader = ChineseReader(page, english_finder)

    # Signing in, then the portal: the outage banner and what waits for her.
    _sign_in(page, reader, live_server, wei)
    if page.url.rstrip("/") == live_server.url:
        page.goto(f"{live_server.url}/portal/")
    expect(page.get_by_test_id("outage-banner")).to_contain_text("远程办公网络全部中断")
    expect(page.get_by_test_id("waiting-record")).to_contain_text("打印机卡纸")
    reader.check("the portal home", "自助服务门户", "报告问题", "提交请求", "我的记录")
    page.get_by_test_id("portal-search").locator("input[type=search]").fill("打印机")
    page.get_by_test_id("portal-search").locator("button[type=submit]").click()
    page.get_by_test_id("tab-resolved").click()
    expect(page.get_by_test_id("portal-record")).to_contain_text("打印机卡纸")
    reader.check("her records, searched, the resolved tab", "已解决", "搜索")

    # The portal's one search box finds the help article; she says it helped.
    box = page.get_by_test_id("portal-search-box")
    box.locator("input[type=search]").fill("远程办公网络")
    box.locator("button[type=submit]").click()
    page.wait_for_url("**/portal/search/**")
    hit = page.get_by_test_id("knowledge-hit").filter(has_text=ARTICLE_TITLE)
    expect(hit).to_have_count(1)
    reader.check("the portal search", "搜索", "自助服务门户")
    hit.get_by_role("link", name=ARTICLE_TITLE).click()
    expect(page.get_by_test_id("article-title")).to_have_text(ARTICLE_TITLE)
    reader.check("a help article", "自助服务门户")
    page.get_by_test_id("helpful-yes").click()
    expect(page.get_by_test_id("helpful-count")).to_have_attribute("data-yes", "1")
    assert list(ArticleFeedback.objects.values_list("user", "helpful")) == [(wei.pk, True)]
    reader.check("a help article she found helpful", "自助服务门户")
    page.goto(f"{live_server.url}/portal/")

    # A new incident: typing the title brings the known workaround (an htmx swap); she files it anyway.
    page.get_by_test_id("portal-report").click()
    reader.check("the new-incident form", "报告问题", "出了什么问题？", "描述", "提交")
    form = page.get_by_test_id("incident-form")
    form.locator("button[type=submit]:not([formaction])").last.click()
    expect(form.locator(".invalid-feedback").first).to_be_visible()
    reader.check("the new-incident form refused empty", "此字段为必填项。")
    form.locator("#id_title").press_sequentially("远程办公网络每小时断线", delay=30)
    suggestion = page.get_by_test_id("suggested-known-error")
    expect(suggestion).to_contain_text("远程办公网络每小时断线")
    page.evaluate(CHOOSE_SERVICE, vpn.pk)
    expect(page.get_by_test_id("suggested-major-incident")).to_contain_text("远程办公网络全部中断")
    reader.check("the new-incident form with its suggestions", "我们已了解此问题：", "这解决了我的问题")
    form.locator("#id_description").fill("连接后一小时左右就断开。")
    form.locator("button[type=submit]:not([formaction])").last.click()
    page.wait_for_url(f"{live_server.url}/records/**")
    filed = Incident.objects.get(requester=wei, title="远程办公网络每小时断线")
    expect(page.locator(".alert-success")).to_contain_text(filed.number)
    reader.check("the incident just filed", "您的回复", "发送回复")

    # Her reply swaps the record's body in place (htmx); an empty one is refused in place too.
    page.get_by_test_id("reply-form").locator("button[type=submit]").click()
    expect(page.get_by_test_id("reply-form").locator(".invalid-feedback")).to_be_visible()
    reader.check("the incident after an empty reply", "请输入内容或添加附件。")
    page.get_by_test_id("reply-form").locator("textarea").fill("我用的是公司笔记本电脑。")
    page.get_by_test_id("reply-form").locator("button[type=submit]").click()
    expect(page.get_by_test_id("record-body")).to_contain_text("我用的是公司笔记本电脑。")
    reader.check("the incident after her reply", "您的回复")

    # The catalogue and a request form.
    page.goto(f"{live_server.url}/portal/")
    page.get_by_test_id("portal-request").click()
    reader.check("the catalogue", "提交请求", "远程办公网络")
    page.get_by_test_id("request-type").filter(has_text="新笔记本电脑").click()
    reader.check("the request form", "新笔记本电脑", "标题", "详细信息", "提交请求")
    request_form = page.get_by_test_id("request-form")
    request_form.locator("#id_description").fill("请为新同事准备一台笔记本电脑。")
    fields = page.get_by_test_id("request-fields")
    fields.get_by_label("型号").select_option("开发 16 英寸")
    fields.get_by_label("成本中心").fill("CC1")
    request_form.locator("button[type=submit]").click()
    expect(fields.locator(".invalid-feedback")).to_be_visible()
    reader.check("the request form refused (its own fields)", "新笔记本电脑", "成本中心")
    fields.get_by_label("成本中心").fill("CC-4100")
    request_form.locator("button[type=submit]").click()
    page.wait_for_url(f"{live_server.url}/records/**")
    request = Incident.objects.get(requester=wei, kind=Incident.Kind.REQUEST)
    assert request.request_type == laptop
    assert request.form_data == {"model": "开发 16 英寸", "cost_centre": "CC-4100"}
    reader.check("the request just filed", "您的回复")

    # Following the major incident from the banner, then its page.
    page.goto(f"{live_server.url}/portal/")
    page.get_by_test_id("outage-follow").click()
    page.wait_for_url(f"{live_server.url}/portal/")
    expect(page.get_by_test_id("following-record")).to_contain_text("远程办公网络全部中断")
    assert watching(major, wei)
    reader.check("the portal home, following the outage", "自助服务门户")
    page.get_by_test_id("following-record").get_by_role("link", name=major.number).click()
    expect(page.get_by_test_id("watching-notice")).to_be_visible()
    reader.check("the major incident she follows", "远程办公网络全部中断")

    # The resolved record: she confirms the resolution.
    page.goto(f"{live_server.url}/portal/")
    page.get_by_test_id("waiting-record").get_by_role("link", name=printer.number, exact=True).click()
    reader.check("the resolved record", "问题已解决：关闭此记录")
    page.get_by_test_id("close-form").locator("button[type=submit]").click()
    expect(page.locator(".alert-success")).to_contain_text(printer.number)
    printer.refresh_from_db()
    assert printer.status == "closed"
    reader.check("the record she closed", "已关闭")
    rate_form = page.get_by_test_id("rate-form")
    rate_form.locator("input[type=radio]").first.check()
    rate_form.locator("button[type=submit]").click()
    expect(page.get_by_test_id("record-rating")).to_be_visible()
    reader.check("the record she rated", "已关闭")
    page.get_by_test_id("follow-up").get_by_role("link").click()
    expect(page.get_by_test_id("follow-up-of")).to_contain_text(printer.number)
    reader.check("a follow-up of the closed record", "报告问题", "出了什么问题？")

    # The approvals she may give (none), from the menu.
    page.goto(f"{live_server.url}/approvals/")
    reader.check("her approvals", "我的审批")

    # Her profile and notification preferences.
    page.goto(f"{live_server.url}/profile/")
    reader.check("her profile", "个人资料", "保存")
    page.goto(f"{live_server.url}/profile/notifications/")
    reader.check("her notification preferences", "个人资料", "保存")
    page.get_by_test_id("notification-preferences").locator("button[type=submit]").click()
    reader.check("her notification preferences, saved", "保存")

    # Every e-mail the journey sent her (filed, reply, resolution, the outage she follows) is Chinese.
    with translation.override("en"):
        services.incident_comment(record=major, actor=manager, body="网关已恢复，请重新连接。")
    to_wei = [message for message in mail.outbox if wei.email in message.to]
    assert any("网关已恢复，请重新连接。" in message.body for message in to_wei)
    numbers = {record.number for record in (printer, filed, request, major)}
    assert {number for number in numbers if any(number in message.subject for message in to_wei)} == numbers
    for message in to_wei:
        _check_mail(english_finder, message)

    # The bell: the update of the outage she follows waits there; its panel comes by htmx.
    page.goto(f"{live_server.url}/portal/")
    expect(page.get_by_test_id("bell-count")).not_to_have_attribute("data-unread", "0")
    page.locator("#bell-button").click()
    entry = page.get_by_test_id("bell-panel").get_by_test_id("notification").filter(has_text=major.number)
    expect(entry.first).to_be_visible()
    reader.check("the bell's panel", "自助服务门户")
    entry.first.click()
    page.wait_for_url(f"{live_server.url}/records/{major.number}/")
    reader.check("the outage, opened from the bell", "远程办公网络全部中断")

    page.locator("form[action='/logout/'] button").click()
    page.wait_for_url(f"{live_server.url}/login/**")
    reader.check("the sign-in page after signing out", "登录")

    assert len(reader.pages) >= 15
    assert browser_log.errors == []


@pytest.fixture
def english_browser(browser):
    """A page in a browser that asks for British English."""
    context = browser.new_context(locale="en-GB")
    yield context.new_page()
    context.close()


def test_her_profile_language_wins_over_an_english_browser(english_browser, live_server, english_finder):
    """On a borrowed English browser, the desk speaks English until it knows her, Chinese once signed in
    (her profile's language), and English again once she has signed out."""
    wei = UserFactory(username="liwei", full_name="李伟", language="zh-hans", roles=[REQUESTER])
    page = english_browser
    reader = ChineseReader(page, english_finder)

    page.goto(f"{live_server.url}/login/")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in to the service desk")
    page.get_by_label("Username").fill(wei.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{live_server.url}/")
    page.goto(f"{live_server.url}/portal/")
    reader.check("the portal home on an English browser", "自助服务门户", "报告问题", "我的记录")

    page.get_by_role("button", name="退出登录").click()
    page.wait_for_url(f"{live_server.url}/login/**")
    expect(page.locator("html")).to_have_attribute("lang", "en")
