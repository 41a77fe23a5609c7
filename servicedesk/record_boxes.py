"""Boxes the kernel adds to every record page through page slots (`servicedesk.slots`): the macro
chooser for agents (`record_side`) and the watchers box (`record_side` for agents, `portal_record_side`
for requesters); and "My macros" in the user menu. Registered by `ServicedeskConfig.ready()`."""

from django.utils.translation import gettext_lazy as _

from .kinds import may_work_any_kind
from .menus import USER, MenuItem, register_menu_item
from .slots import SlotContent, register_slot_content


def _macros(request, record):
    from .views_macros import chooser_context

    return chooser_context(request, record)


def _watchers(request, record):
    from .views_watchers import watchers_context

    return watchers_context(request, record)


def register_record_boxes() -> None:
    register_slot_content(
        SlotContent(
            slot="record_side",
            name="macros",
            template="servicedesk/macros/_chooser.html",
            context=_macros,
            order=10,
        )
    )
    for slot in ("record_side", "portal_record_side"):
        register_slot_content(
            SlotContent(
                slot=slot, name="watchers", template="servicedesk/_watchers.html", context=_watchers, order=20
            )
        )
    register_menu_item(
        MenuItem(
            USER,
            "macros",
            _("My macros"),
            "macro_list",
            "lightning",
            visible=may_work_any_kind,
            order=150,
            testid="nav-macros",
        )
    )
