from django.apps import AppConfig


class KernelKindConfig(AppConfig):
    name = "tests.kernelkind"
    label = "kernelkind"
    # Not a message for translation: the Chinese crawl (tests/test_crawl_chinese.py) meets it in the admin's
    # content-type filters, where an English sentence of the catalogue ("record kind") would be counted.
    verbose_name = "Test-only kernel kind (chores)"

    def ready(self):
        from servicedesk.kinds import register_record_kind

        from .links import register_chore_links
        from .records import CHORE_KIND

        register_record_kind(CHORE_KIND)
        register_chore_links()
