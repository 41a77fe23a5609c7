from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CmdbConfig(AppConfig):
    name = "cmdb"
    verbose_name = _("Configuration management")

    def ready(self):
        from django.db.models.signals import post_migrate

        from servicedesk.demo import register_demo_seeder
        from servicedesk.menus import register_menu_item
        from servicedesk.roles import register_role_permissions

        from .defaults import restore_defaults
        from .demo import seed_cmdb_demo
        from .menus import MENU_ITEMS
        from .pickers import register_pick_sources
        from .roles import ROLE_PERMISSIONS

        register_role_permissions(ROLE_PERMISSIONS)
        register_demo_seeder(seed_cmdb_demo)
        register_pick_sources()
        for item in MENU_ITEMS:
            register_menu_item(item)
        post_migrate.connect(restore_defaults, sender=self, dispatch_uid="cmdb.restore_defaults")
