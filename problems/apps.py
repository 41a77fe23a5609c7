from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProblemsConfig(AppConfig):
    name = "problems"
    verbose_name = _("Problem management")

    def ready(self):
        from servicedesk.demo import register_demo_seeder
        from servicedesk.kinds import register_record_kind
        from servicedesk.records.cis import register_ci_relation
        from servicedesk.roles import register_role_permissions

        from .demo import seed_problems_demo
        from .knowledge import register_workaround_source
        from .links import register_problem_links
        from .menus import register_problem_menu
        from .notifications import register_problem_notifications
        from .records import CI_RELATIONS, PROBLEM_KIND
        from .reporting import register_problem_measures
        from .roles import ROLE_PERMISSIONS
        from .views_portal import register_deflection_slot
        from .views_slots import register_problem_slots

        register_role_permissions(ROLE_PERMISSIONS)
        register_record_kind(PROBLEM_KIND)
        for relation in CI_RELATIONS:
            register_ci_relation(relation)
        register_problem_links()
        register_problem_menu()
        register_problem_slots()
        register_problem_notifications()
        register_deflection_slot()
        register_demo_seeder(seed_problems_demo)
        register_problem_measures()
        register_workaround_source()
