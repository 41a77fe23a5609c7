from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReleasesConfig(AppConfig):
    name = "releases"
    verbose_name = _("Release management")

    def ready(self):
        from servicedesk.demo import register_demo_seeder
        from servicedesk.kinds import register_record_kind
        from servicedesk.records.cis import register_ci_relation
        from servicedesk.records.events import register_event_listener
        from servicedesk.roles import register_role_permissions

        from .demo import seed_releases_demo
        from .links import register_release_links
        from .menus import register_release_menu
        from .notifications import register_release_notifications
        from .records import CI_RELATIONS, RELEASE_KIND
        from .reporting import register_release_measures
        from .roles import ROLE_PERMISSIONS
        from .schedule import register_release_schedule
        from .services.incidents import incident_raised
        from .timeline import register_release_renderers

        register_role_permissions(ROLE_PERMISSIONS)
        register_record_kind(RELEASE_KIND)
        for relation in CI_RELATIONS:
            register_ci_relation(relation)
        register_release_links()
        register_release_notifications()
        register_event_listener("incident", "created", incident_raised)
        register_release_menu()
        register_release_renderers()
        register_release_schedule()
        register_demo_seeder(seed_releases_demo)
        register_release_measures()
