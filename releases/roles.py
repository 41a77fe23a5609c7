"""What each role may do with releases.

Everyone in the workspace sees releases and their artifacts; agents build them and report deployments
(a pipeline's account is an agent's); release managers (and administrators) also run them. Approvers
(service owners, test leads) decide the go/no-go through the kernel's approvals."""

VIEW = ["releases.view_release", "releases.view_artifact", "releases.view_wave"]
WORK = [
    *VIEW,
    "releases.add_release",
    "releases.change_release",
    "releases.work_release",
    "releases.add_artifact",
    "releases.add_wave",
    "releases.change_wave",
    "releases.delete_wave",
]
MANAGE = [*WORK, "releases.manage_release"]

ROLE_PERMISSIONS = {
    "Agent": WORK,
    "Group manager": WORK,
    "Problem manager": VIEW,
    "Change manager": VIEW,
    "CAB member": VIEW,
    "Release manager": MANAGE,
    "Configuration manager": VIEW,
    "Administrator": MANAGE,
}
