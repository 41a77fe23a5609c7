"""The shipped relationship types are stored in English and read in the reader's language; a type an
administrator renamed, or created, is shown as written."""

from django.utils import translation

from cmdb.models import RelationshipType


def test_a_shipped_type_reads_in_chinese_both_ways(db):
    depends_on = RelationshipType.objects.get(code="depends_on")

    with translation.override("zh-hans"):
        assert (str(depends_on), depends_on.reverse_label) == ("依赖于", "使用方")
    with translation.override("en"):
        assert (str(depends_on), depends_on.reverse_label) == ("depends on", "used by")


def test_a_renamed_or_new_type_is_shown_as_written(db):
    runs_on = RelationshipType.objects.get(code="runs_on")
    runs_on.name = "executes on"
    invented = RelationshipType(code="backs_up", name="depends on", reverse_name="backed up by")

    with translation.override("zh-hans"):
        assert (runs_on.label, runs_on.reverse_label) == ("executes on", "承载")
        # A shipped English name under another code is someone's own wording too.
        assert (invented.label, invented.reverse_label) == ("depends on", "backed up by")
