"""Macros (canned responses) on the kernel: the placeholders their text may use, and what a kind lets a
macro change (`MacroTarget`, its `RecordKind.macros`).

The text is Markdown with placeholders in double braces, filled by plain substitution (never by a
template engine: an agent's text cannot reach code or other records). The placeholders and what they
read are `PLACEHOLDERS`; an unknown one is refused when the macro is saved.

A kind offers macros by naming a `MacroTarget`: the fields a macro may change, the values each accepts,
and the kind's own services that add the comment, change the fields and fire the transition, so the
kind's guards, SLA clocks and notifications stay its own. "status" is a transition of the kind's table;
`transition_inputs` are the inputs a macro may give it (a hold reason), and a transition that requires
one of `text_inputs` (resolution notes, a reason) takes the macro's text there instead of a comment.
"""

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext_lazy as _

PLACEHOLDER = re.compile(r"\{\{\s*([^{}]*?)\s*\}\}")


def _name(user, short: bool = False) -> str:
    if user is None:
        return ""
    return (user.get_short_name() if short else user.get_full_name()) or user.get_username()


# name -> (what it reads, (record, agent) -> text)
PLACEHOLDERS: dict[str, tuple[Any, Callable[[Any, Any], str]]] = {
    "number": (_("the record's number"), lambda record, agent: record.number),
    "title": (_("the record's title"), lambda record, agent: record.title),
    "requester.name": (_("the requester's full name"), lambda record, agent: _name(record.requester)),
    "requester.first_name": (
        _("the requester's first name"),
        lambda record, agent: _name(record.requester, short=True),
    ),
    "assignee.name": (_("the assignee's name"), lambda record, agent: _name(record.assignee)),
    "group": (
        _("the support group"),
        lambda record, agent: str(record.support_group) if record.support_group_id else "",
    ),
    "agent.name": (_("your own name"), lambda record, agent: _name(agent)),
    "agent.first_name": (_("your own first name"), lambda record, agent: _name(agent, short=True)),
}


def placeholders_unknown(text: str) -> list[str]:
    """The placeholders in `text` that `PLACEHOLDERS` does not know, in order, once each."""
    return list(dict.fromkeys(name for name in PLACEHOLDER.findall(text or "") if name not in PLACEHOLDERS))


def placeholders_fill(text: str, record, agent) -> str:
    """`text` with each known placeholder replaced by its value for `record` and `agent`; unknown ones
    are left out. The values are plain text put into Markdown, rendered (and sanitised) with the rest."""

    def value(match):
        known = PLACEHOLDERS.get(match.group(1))
        return known[1](record, agent) if known is not None else ""

    return PLACEHOLDER.sub(value, text or "")


@dataclass(frozen=True)
class MacroTarget:
    """What a macro may do to records of one kind (`RecordKind.macros`).

    `fields` maps the field names a macro may change to their labels; `choices(field)` gives the values
    one accepts as (value, label) pairs; `comment(record=, actor=, body=, is_public=)`,
    `update(record=, actor=, **changes)` and `transition(record=, actor=, to=, **inputs)` are the kind's
    services, called on the record the macro's transaction has locked. "status" and `transition_inputs`
    go to `transition`, every other field to `update`.
    """

    fields: Mapping[str, Any]
    choices: Callable[[str], list[tuple[Any, Any]]]  # (field) -> [(value, label)]
    comment: Callable[..., Any]
    transition: Callable[..., Any]
    update: Callable[..., Any] | None = None
    transition_inputs: tuple[str, ...] = ()
    text_inputs: tuple[str, ...] = ("resolution_notes", "reason")

    def refusals(self, changes: Mapping[str, Any]) -> dict[str, str]:
        """Why each change is refused ({field: message}), empty when all are accepted."""
        errors = {}
        for name, value in changes.items():
            if name not in self.fields:
                errors[name] = str(_("A macro cannot change this field here."))
            elif str(value) not in {str(choice) for choice, _label in self.choices(name)}:
                errors[name] = str(_("“%(value)s” is not one of the choices.") % {"value": value})
        return errors

    def split(self, changes: Mapping[str, Any]) -> tuple[str | None, dict, dict]:
        """(the target status or None, the transition's inputs, the field changes for `update`)."""
        inputs = {name: changes[name] for name in self.transition_inputs if name in changes}
        updates = {
            name: value
            for name, value in changes.items()
            if name != "status" and name not in self.transition_inputs
        }
        return changes.get("status") or None, inputs, updates
