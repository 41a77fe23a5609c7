from django.apps import AppConfig


class KernelKindConfig(AppConfig):
    name = "tests.kernelkind"
    label = "kernelkind"
    verbose_name = "Test-only record kind"

    def ready(self):
        from servicedesk.kinds import register_record_kind

        from .links import register_chore_links
        from .records import CHORE_KIND

        register_record_kind(CHORE_KIND)
        register_chore_links()
