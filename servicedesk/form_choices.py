"""Choice lists read once per request, however many fields and forms of a page list them."""

from django.forms.models import ModelChoiceIterator


class ListedChoices(ModelChoiceIterator):
    """A model choice field's menu drawn from rows already read (`rows`: a list, or a QuerySet evaluated
    once), so that several fields and forms of one page listing the same people or groups share one
    query. Django's own iterator runs its queryset again for each field it renders (`.iterator()`
    skips the result cache). The field's queryset still validates what is posted. A django-filter
    field's "null" choice ("Unassigned") is kept after the empty one."""

    def __init__(self, field, rows):
        super().__init__(field)
        self.rows = rows

    def __iter__(self):
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        if getattr(self.field, "null_label", None) is not None:
            yield (self.field.null_value, self.field.null_label)
        for obj in self.rows:
            yield self.choice(obj)

    def __len__(self):
        extra = (self.field.empty_label is not None) + (getattr(self.field, "null_label", None) is not None)
        return len(self.rows) + extra

    def __bool__(self):
        return True


def list_choices(field, rows) -> None:
    """Let `field` (a ModelChoiceField) offer `rows`, read once for every field sharing them. A posted
    choice found among them is taken from them (no query); any other is looked up by the field's own
    queryset, which decides what is valid."""
    field.widget.choices = ListedChoices(field, rows)
    looked_up = field.to_python
    key = field.to_field_name or "pk"

    def to_python(value):
        if value not in field.empty_values and not hasattr(value, "_meta"):
            for obj in rows:
                if str(getattr(obj, key)) == str(value):
                    return obj
        return looked_up(value)

    field.to_python = to_python
