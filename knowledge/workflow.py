"""An article's status machine, declared once (servicedesk.records.workflow): authors write drafts and
send them for review; knowledge reviewers publish them (to agents or to the portal, as the article says),
send them back with a reason, retire them and take retired ones back as drafts."""

from django.utils.translation import gettext_lazy as _

from servicedesk.records.workflow import Transition, Workflow

from .models import Article

DRAFT, REVIEW, PUBLISHED, RETIRED = (s.value for s in Article.Status)
WRITE_PERMISSION = "knowledge.add_article"
REVIEW_PERMISSION = "knowledge.review_article"


def is_author(article, user) -> bool:
    return bool(getattr(user, "is_agent", False)) and user.has_perm(WRITE_PERMISSION)


def is_reviewer(article, user) -> bool:
    return bool(getattr(user, "is_agent", False)) and user.has_perm(REVIEW_PERMISSION)


def _has_text(article) -> str | None:
    if not article.translations.exists():
        return _("Write the article in at least one language first.")
    return None


ARTICLE_WORKFLOW = Workflow(
    [
        Transition("submit", (DRAFT,), REVIEW, _("Send for review"), permission=is_author, guard=_has_text),
        Transition(
            "publish", (DRAFT, REVIEW), PUBLISHED, _("Publish"), permission=is_reviewer, guard=_has_text
        ),
        Transition(
            "send_back", (REVIEW,), DRAFT, _("Send back"), permission=is_reviewer, requires=("reason",)
        ),
        Transition("retire", (PUBLISHED,), RETIRED, _("Retire"), permission=is_reviewer),
        Transition("restore", (RETIRED,), DRAFT, _("Back to draft"), permission=is_reviewer),
    ]
)
