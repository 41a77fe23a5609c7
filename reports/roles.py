"""What the roles may do with management information. Who sees which figures is the reader's scope
(`reports.scope`): the groups they manage, the services they own, their own work, or everything."""

from servicedesk import roles

VIEW_ALL = "reports.view_all_reports"

ROLE_PERMISSIONS = {
    roles.ADMINISTRATOR: [VIEW_ALL],
}
