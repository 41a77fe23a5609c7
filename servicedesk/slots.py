"""Page slots: places in one app's pages where higher apps put content of their own (DESIGN.md §3).

A lower app's template names a slot (`{% slot "incident_page" record=record %}`, tag library `records`);
a higher app registers what it shows there (`register_slot_content`, in its `AppConfig.ready()`): a
template and a function giving its context, or None to show nothing for this request. The incident page
thus shows the known error database's search without incidents importing problems.

A slot inside a form may also learn what the form did: the view that handles it calls `slot_submitted`
with what it made, and each content's `on_submit` sees the request (the portal's "filed anyway" count).
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.template.loader import render_to_string
from django.utils.safestring import mark_safe


@dataclass(frozen=True)
class SlotContent:
    """What `name` shows in slot `slot`: `template` rendered with `context(request, **values)` (None: not
    for this request), in `order`. `on_submit(request, **values)`: told when the form holding the slot
    was handled successfully."""

    slot: str
    name: str
    template: str
    context: Callable[..., dict | None]
    order: int = 100
    on_submit: Callable[..., Any] | None = None


_SLOTS: dict[str, dict[str, SlotContent]] = {}


def register_slot_content(content: SlotContent) -> None:
    contents = _SLOTS.setdefault(content.slot, {})
    existing = contents.get(content.name)
    if existing is not None and existing != content:
        raise ValueError(f"Slot {content.slot} already has content named {content.name}.")
    contents[content.name] = content


def slot_contents(slot: str) -> list[SlotContent]:
    return sorted(_SLOTS.get(slot, {}).values(), key=lambda content: (content.order, content.name))


def slot_render(slot: str, request, **values) -> str:
    """Every registered content of `slot` that has something to show for `request`, in order."""
    parts = []
    for content in slot_contents(slot):
        context = content.context(request, **values)
        if context is not None:
            parts.append(render_to_string(content.template, {**values, **context}, request=request))
    return mark_safe("".join(parts))  # noqa: S308 - rendered templates, escaped by the engine


def slot_submitted(slot: str, request, **values) -> None:
    """The form holding `slot` was handled: tell each content that asks."""
    for content in slot_contents(slot):
        if content.on_submit is not None:
            content.on_submit(request, **values)
