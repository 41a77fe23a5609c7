"""The workspace's "Reports" entry, for whoever has figures to read (`reports.scope.reader_scope`)."""

from django.utils.translation import gettext_lazy as _

from servicedesk.menus import WORKSPACE, MenuItem, register_menu_item


def _may_read(user) -> bool:
    from .scope import may_read_reports

    return may_read_reports(user)


def register_reports_menu() -> None:
    register_menu_item(
        MenuItem(
            WORKSPACE,
            "reports",
            _("Reports"),
            "reports:dashboard",
            "bar-chart-line",
            visible=_may_read,
            order=420,
            testid="nav-reports",
        )
    )
