from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class KnowledgeConfig(AppConfig):
    name = "knowledge"
    verbose_name = _("Knowledge")

    def ready(self):
        from servicedesk.demo import register_demo_seeder
        from servicedesk.menus import register_menu_item
        from servicedesk.roles import register_role_permissions

        from .demo import seed_knowledge_demo
        from .menus import MENU_ITEMS
        from .roles import ROLE_PERMISSIONS
        from .sources import register_article_source

        register_role_permissions(ROLE_PERMISSIONS)
        register_demo_seeder(seed_knowledge_demo)
        register_article_source()
        for item in MENU_ITEMS:
            register_menu_item(item)
