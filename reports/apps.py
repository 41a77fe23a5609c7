from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    name = "reports"
    verbose_name = _("Management information")

    def ready(self):
        from servicedesk.roles import register_role_permissions

        from .menus import register_reports_menu
        from .roles import ROLE_PERMISSIONS

        register_role_permissions(ROLE_PERMISSIONS)
        register_reports_menu()
