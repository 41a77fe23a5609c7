from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ChangesConfig(AppConfig):
    name = "changes"
    verbose_name = _("Change management")

    def ready(self):
        from django.db.models.signals import post_migrate

        from servicedesk.demo import register_demo_seeder
        from servicedesk.kinds import register_record_kind
        from servicedesk.records.cis import register_ci_relation
        from servicedesk.records.events import register_event_listener
        from servicedesk.roles import register_role_permissions

        from .defaults import restore_defaults
        from .demo import seed_changes_demo
        from .links import register_change_links
        from .menus import register_change_menu
        from .notifications import register_change_notifications
        from .records import CHANGE_KIND, CI_RELATIONS
        from .reporting import register_change_measures
        from .roles import ROLE_PERMISSIONS
        from .services.implementation import incident_raised
        from .timeline_assessment import register_assessment_renderers
        from .views_slots import register_change_slots

        register_role_permissions(ROLE_PERMISSIONS)
        register_record_kind(CHANGE_KIND)
        for relation in CI_RELATIONS:
            register_ci_relation(relation)
        register_change_links()
        register_change_notifications()
        register_change_menu()
        register_change_slots()
        register_event_listener("incident", "created", incident_raised)
        register_assessment_renderers()
        register_demo_seeder(seed_changes_demo)
        register_change_measures()
        post_migrate.connect(restore_defaults, sender=self, dispatch_uid="changes.restore_defaults")
