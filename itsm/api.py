"""The one API router: every app's resources under /api/v1/."""

from django.urls import re_path
from django.utils.module_loading import import_string
from rest_framework.routers import APIRootView, DefaultRouter

from changes.api import assessment as changes_assessment
from changes.api import catalogue as changes_catalogue
from changes.api import schedule as changes_schedule
from changes.api import windows as changes_windows
from cmdb.api import baselines as cmdb_baselines
from cmdb.api import impact as cmdb_impact
from cmdb.api import imports as cmdb_imports
from cmdb.api import views as cmdb_views
from incidents.api import catalogue as incidents_catalogue
from knowledge.api import views as knowledge_views
from problems import api_candidates as problems_candidates
from problems.api import views as problems_views
from reports.api import views as reports_views
from servicedesk.api import macros as servicedesk_macros
from servicedesk.api import notifications as servicedesk_notifications
from servicedesk.api import sla as servicedesk_sla
from servicedesk.api import views as servicedesk_views
from servicedesk.api import webhooks as servicedesk_webhooks
from servicedesk.api.idempotency import IdempotentPostMixin
from servicedesk.approvals import api as servicedesk_approvals
from servicedesk.kinds import record_kinds


class ApiRootView(IdempotentPostMixin, APIRootView):
    """The index of the API's resources (every view of the API shares the POST contract, even this one)."""


router = DefaultRouter()
router.APIRootView = ApiRootView
# Accept paths with or without the trailing slash: integrations often drop it.
router.trailing_slash = "/?"
router.register("users", servicedesk_views.UserViewSet, basename="user")
router.register("organisations", servicedesk_views.OrganisationViewSet, basename="organisation")
router.register("support-groups", servicedesk_views.SupportGroupViewSet, basename="support-group")
router.register("me/tokens", servicedesk_views.ApiTokenViewSet, basename="me-token")
router.register("notifications", servicedesk_notifications.InAppNotificationViewSet, basename="notification")
router.register("approvals", servicedesk_approvals.ApprovalViewSet, basename="approval")
router.register("audit-events", servicedesk_views.AuditEventViewSet, basename="audit-event")
router.register("webhooks", servicedesk_webhooks.WebhookSubscriptionViewSet, basename="webhook")
router.register("macros", servicedesk_macros.MacroViewSet, basename="macro")
router.register("sla-policies", servicedesk_sla.SLAPolicyViewSet, basename="sla-policy")
router.register("business-calendars", servicedesk_sla.BusinessCalendarViewSet, basename="business-calendar")
router.register("ci-classes", cmdb_views.CIClassViewSet, basename="ci-class")
router.register("relationship-types", cmdb_views.RelationshipTypeViewSet, basename="relationship-type")
router.register("cis", cmdb_views.CIViewSet, basename="ci")
router.register("ci-relationships", cmdb_views.CIRelationshipViewSet, basename="ci-relationship")
router.register("imports", cmdb_imports.ImportJobViewSet, basename="import")
router.register("baselines", cmdb_baselines.BaselineViewSet, basename="baseline")
# Every record kind's resource, as its app registered it (`RecordKind.api_path`, `api_viewset`).
for kind in record_kinds():
    if kind.api_path:
        router.register(kind.api_path, import_string(kind.api_viewset), basename=kind.code)
router.register("services", incidents_catalogue.BusinessServiceViewSet, basename="service")
router.register("request-types", incidents_catalogue.RequestTypeViewSet, basename="request-type")
router.register("categories", incidents_catalogue.CategoryViewSet, basename="category")
router.register("known-errors", problems_views.KnownErrorViewSet, basename="known-error")
router.register("knowledge/articles", knowledge_views.ArticleViewSet, basename="knowledge-article")
router.register("risk-questions", changes_assessment.RiskQuestionViewSet, basename="risk-question")
router.register("standard-changes", changes_catalogue.StandardChangeViewSet, basename="standard-change")
router.register("blackout-windows", changes_windows.BlackoutWindowViewSet, basename="blackout-window")
router.register(
    "maintenance-windows", changes_windows.MaintenanceWindowViewSet, basename="maintenance-window"
)
router.register(
    "problem-candidates",
    problems_candidates.ProblemCandidateViewSet,
    basename="problem-candidate",
)

urlpatterns = [
    re_path(r"^me/?$", servicedesk_views.MeView.as_view(), name="me"),
    re_path(r"^cis/import/?$", cmdb_imports.CIImportView.as_view(), name="ci-import"),
    re_path(r"^cis/(?P<pk>\d+)/impact/?$", cmdb_impact.CIImpactView.as_view(), name="ci-impact"),
    re_path(r"^change-schedule/?$", changes_schedule.ChangeScheduleView.as_view(), name="change-schedule"),
    re_path(r"^priority-matrix/?$", incidents_catalogue.PriorityMatrixView.as_view(), name="priority-matrix"),
    re_path(r"^reports/?$", reports_views.ReportListView.as_view(), name="reports"),
    re_path(r"^reports/(?P<key>[a-z0-9_]+)/?$", reports_views.ReportView.as_view(), name="report"),
    *router.urls,
]
