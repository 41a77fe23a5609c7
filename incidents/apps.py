from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IncidentsConfig(AppConfig):
    name = "incidents"
    verbose_name = _("Incident management")

    def ready(self):
        from servicedesk.demo import register_demo_seeder
        from servicedesk.kinds import register_record_kind
        from servicedesk.menus import register_menu_item
        from servicedesk.records.cis import register_ci_relation
        from servicedesk.roles import register_role_permissions

        from .demo import seed_incidents_demo
        from .knowledge import register_knowledge_slot
        from .menus import MENU_ITEMS
        from .notifications import register_fulfilment_notifications
        from .pickers import register_pick_sources
        from .records import CI_RELATIONS, INCIDENT_KIND, REQUEST_KIND
        from .reporting import register_reporting
        from .roles import ROLE_PERMISSIONS
        from .timeline import register_timeline_renderers

        register_role_permissions(ROLE_PERMISSIONS)
        register_demo_seeder(seed_incidents_demo)
        register_pick_sources()
        register_record_kind(INCIDENT_KIND)
        register_record_kind(REQUEST_KIND)
        for relation in CI_RELATIONS:
            register_ci_relation(relation)
        for item in MENU_ITEMS:
            register_menu_item(item)
        register_timeline_renderers()
        register_reporting()
        register_fulfilment_notifications()
        register_knowledge_slot()
