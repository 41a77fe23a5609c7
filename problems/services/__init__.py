"""Every write of problem management: problems, the known error database, candidates."""

from .kedb import known_error_publish, known_error_update, workaround_apply
from .lifecycle import (
    problem_create,
    problem_from_incidents,
    problem_link_incident,
    problem_publish,
    problem_update,
)

__all__ = [
    "known_error_publish",
    "known_error_update",
    "problem_create",
    "problem_from_incidents",
    "problem_link_incident",
    "problem_publish",
    "problem_update",
    "workaround_apply",
]
