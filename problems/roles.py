"""What each role may do with problems, known errors and problem candidates.

Agents see problems and the published KEDB, raise problems from incidents, work them and apply
workarounds; problem managers also close and cancel problems, publish and retire known errors and decide
the trend task's candidates. Requesters see only workarounds published to the portal, which needs no
right (the portal shows them)."""

VIEW = ["problems.view_problem", "problems.view_knownerror"]
WORK = [
    *VIEW,
    "problems.add_problem",
    "problems.change_problem",
    "problems.work_problem",
    "problems.add_workaroundapplication",
]
MANAGE = [
    *WORK,
    "problems.manage_problem",
    "problems.add_knownerror",
    "problems.change_knownerror",
    "problems.view_problemcandidate",
    "problems.change_problemcandidate",
]

ROLE_PERMISSIONS = {
    "Agent": WORK,
    "Group manager": WORK,
    "Problem manager": MANAGE,
    "Change manager": VIEW,
    "CAB member": VIEW,
    "Release manager": VIEW,
    "Configuration manager": VIEW,
    "Administrator": MANAGE,
}
