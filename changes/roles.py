"""What each role may do with changes.

Everyone in the workspace sees changes (the forward schedule is for all who work the desk); agents raise
them and work them; change managers (and administrators) also run them: assess, send to the CAB, schedule,
override conflicts, close, and keep the catalogue, the risk questionnaire, the approval rules and the
windows. CAB members decide through the kernel's approvals, for which seeing changes is enough."""

VIEW = ["changes.view_change", "changes.view_standardchange"]
WORK = [*VIEW, "changes.add_change", "changes.change_change", "changes.work_change"]
MANAGE = [
    *WORK,
    "changes.manage_change",
    "changes.add_standardchange",
    "changes.change_standardchange",
    "changes.view_riskquestion",
    "changes.add_riskquestion",
    "changes.change_riskquestion",
    "changes.view_approvalrule",
    "changes.add_approvalrule",
    "changes.change_approvalrule",
    "changes.view_blackoutwindow",
    "changes.add_blackoutwindow",
    "changes.change_blackoutwindow",
    "changes.delete_blackoutwindow",
    "changes.view_maintenancewindow",
    "changes.add_maintenancewindow",
    "changes.change_maintenancewindow",
    "changes.delete_maintenancewindow",
]

ROLE_PERMISSIONS = {
    "Agent": WORK,
    "Group manager": WORK,
    "Problem manager": WORK,
    "Change manager": MANAGE,
    "CAB member": VIEW,
    "Release manager": WORK,
    "Configuration manager": VIEW,
    "Administrator": MANAGE,
}
