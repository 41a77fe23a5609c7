"""Demo knowledge for `seed_demo`: a few categories and articles by bob (an agent), published by carol
(a group manager, a knowledge reviewer), in English and Chinese; one to the portal per topic, one for
agents only, one draft waiting for a review, one past its review date.

Idempotent: made once (the first article's title marks a seeded knowledge base); skipped when the demo
people it needs are missing."""

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from cmdb.selectors import business_service_list
from servicedesk.models import User

from . import workflow as wf
from .models import ArticleCategory, ArticleTranslation
from .services import article_create, article_transition, article_update

MARKER = "Connect to the VPN from home"
AUTHOR, REVIEWER = "bob", "carol"

CATEGORIES = {"network": ("Network", None), "vpn": ("VPN", "network"), "email": ("E-mail", None),
              "accounts": ("Accounts and passwords", None)}  # fmt: skip

# key: category, service, audience, status, (en title, en body), (zh title, zh body) or None
ARTICLES = [
    (
        "vpn",
        "VPN",
        "portal",
        wf.PUBLISHED,
        (
            MARKER,
            "1. Open **GlobalProtect** from the taskbar.\n2. Enter `vpn.contoso.com` as the portal.\n"
            "3. Sign in with your usual account and approve the prompt on your phone.\n\n"
            "If the VPN drops every hour, sign in again: the desk knows about it.",
        ),
        (
            "在家连接 VPN",
            "1. 在任务栏中打开 **GlobalProtect**。\n2. 门户地址填写 `vpn.contoso.com`。\n"
            "3. 使用平常的账号登录，并在手机上确认。",
        ),
    ),
    (
        "email",
        "E-mail",
        "portal",
        wf.PUBLISHED,
        (
            "Set up e-mail on your phone",
            "Install **Outlook** from your phone's store, open it and sign in "
            "with your work address. Approve the device when asked.",
        ),
        ("在手机上设置邮箱", "从应用商店安装 **Outlook**，打开后用工作邮箱登录，按提示批准设备。"),
    ),
    (
        "accounts",
        None,
        "portal",
        wf.PUBLISHED,
        (
            "Reset your password",
            "Go to **passwordreset.contoso.com**, enter your user name and follow the "
            "code sent to your phone. The new password works everywhere within 5 minutes.",
        ),
        (
            "重置密码",
            "访问 **passwordreset.contoso.com**，输入用户名，按手机收到的验证码操作。"
            "五分钟内新密码即可在各处使用。",
        ),
    ),
    (
        "vpn",
        "VPN",
        "agents",
        wf.PUBLISHED,
        (
            "Restart the VPN gateway's tunnel service",
            "For agents: on `lon-vpn-01`, run "
            "`systemctl restart gp-tunnel` and check the dashboard for new sessions within a minute.",
        ),
        None,
    ),
    (
        "network",
        None,
        "portal",
        wf.REVIEW,
        (
            "Connect to the office Wi-Fi",
            "Choose **Contoso**, sign in with your work account, accept the certificate.",
        ),
        None,
    ),
]


@transaction.atomic
def seed_knowledge_demo(stdout=None) -> None:
    if ArticleTranslation.objects.filter(title=MARKER).exists():
        return
    people = {user.username: user for user in User.objects.filter(username__in=[AUTHOR, REVIEWER])}
    if len(people) < 2:
        return
    author, reviewer = people[AUTHOR], people[REVIEWER]
    categories = {}
    for key, (name, parent) in CATEGORIES.items():
        categories[key], _created = ArticleCategory.objects.get_or_create(
            name=name, parent=categories.get(parent)
        )
    services = {ci.name: ci for ci in business_service_list()}
    today = timezone.localdate()
    for index, (category, service, audience, status, english, chinese) in enumerate(ARTICLES):
        article = article_create(
            actor=author, language="en", title=english[0], body=english[1], category=categories[category],
            services=[services[service]] if service in services else [], audience=audience,
            # The first is past its review date: listed for its owner.
            review_on=today - timedelta(days=1) if index == 0 else today + timedelta(days=180),
        )  # fmt: skip
        if chinese:
            article = article_update(
                actor=author, article=article, language="zh-hans", title=chinese[0], body=chinese[1]
            )
        article = article_transition(actor=author, article=article, to=wf.REVIEW)
        if status == wf.PUBLISHED:
            article_transition(actor=reviewer, article=article, to=wf.PUBLISHED)
    if stdout is not None:
        stdout.write(f"Knowledge: {len(ARTICLES)} articles.")
