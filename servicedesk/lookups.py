"""Query lookups the apps share."""

from django.db.models import Lookup, Q, QuerySet

MAX_WORDS = 10


def match_words(queryset: QuerySet, text: str, fields) -> QuerySet:
    """The rows of `queryset` in which every word of `text` (the first `MAX_WORDS`) appears in one of
    `fields`, case-insensitively: the simple word search of short lists (people, groups, CIs)."""
    for word in text.split()[:MAX_WORDS]:
        condition = Q()
        for field in fields:
            condition |= Q(**{f"{field}__icontains": word})
        queryset = queryset.filter(condition)
    return queryset


class AnyOf(Lookup):
    """`field = ANY(%s)`: membership in a long list of values sent as ONE array parameter.

    `field__in=[...]` sends one parameter per value, which Django processes one by one and PostgreSQL
    parses as a literal list, so a list of thousands of ids costs milliseconds before the query runs
    (a walk over a graph sends one such list per step). Use it as an expression:
    `.filter(AnyOf(F("target_id"), ids))`. Other databases get a plain `IN (…)`.
    """

    lookup_name = "any_of"
    prepare_rhs = False

    def __init__(self, lhs, rhs):
        super().__init__(lhs, list(rhs))

    def as_sql(self, compiler, connection):
        lhs_sql, lhs_params = self.process_lhs(compiler, connection)
        if not self.rhs:
            return "1 = 0", []
        return f"{lhs_sql} IN ({', '.join(['%s'] * len(self.rhs))})", [*lhs_params, *self.rhs]

    def as_postgresql(self, compiler, connection):
        lhs_sql, lhs_params = self.process_lhs(compiler, connection)
        return f"{lhs_sql} = ANY(%s)", [*lhs_params, self.rhs]
