from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ServicedeskConfig(AppConfig):
    name = "servicedesk"
    verbose_name = _("Service desk")

    def ready(self):
        from django.db.backends.signals import connection_created
        from django.db.models.signals import post_migrate

        from . import receivers  # noqa: F401
        from .api import schema, strict  # noqa: F401
        from .approvals.events import register_approval_events
        from .intake import senders  # noqa: F401 - registers the e-mail intake settings check
        from .menus import register_foundation_menu
        from .notifications.standard import register_standard_events
        from .notifications.watchers import register_watcher_events
        from .pickers import register_people_source
        from .record_boxes import register_record_boxes
        from .records.search import search_session_settings
        from .records.timeline import register_foundation_renderers
        from .reporting.dimensions import register_kernel_dimensions
        from .roles import restore_missing_roles
        from .services import webhooks  # noqa: F401 - registers the webhook transport with the outbox

        strict.install()
        _watch_configuration()
        register_foundation_menu()
        register_foundation_renderers()
        register_standard_events()
        register_watcher_events()
        register_record_boxes()
        register_approval_events()
        register_people_source()
        register_kernel_dimensions()
        post_migrate.connect(restore_missing_roles, dispatch_uid="servicedesk.restore_roles")
        connection_created.connect(search_session_settings, dispatch_uid="servicedesk.search_session")


def _watch_configuration():
    """The models whose rows `servicedesk.configmemo` keeps in memory: their edits void the copies."""
    from . import configmemo
    from .models import (
        BusinessCalendar,
        CalendarException,
        EscalationRule,
        NotificationTemplate,
        PriorityRule,
        SLAPolicy,
        SLATarget,
        WebhookSubscription,
        WorkingInterval,
    )

    configmemo.watch(
        BusinessCalendar, CalendarException, EscalationRule, SLAPolicy, SLATarget, WorkingInterval,
        NotificationTemplate, PriorityRule, WebhookSubscription,
    )  # fmt: skip
