"""What each role may do with incidents and requests.

Requesters file records and act on their own (the policy checks ownership); agents work them; group
managers also declare major incidents; administrators keep the catalogue and the priority matrix.
"""

FILE = ["incidents.add_incident"]
VIEW = [*FILE, "incidents.view_incident", "incidents.view_category", "incidents.view_requesttype"]
WORK = [*VIEW, "incidents.work_incident", "incidents.change_incident"]
RESOLVE = [
    *WORK,
    "incidents.resolve_incident",
    "incidents.close_incident",
    "incidents.cancel_incident",
    "incidents.reopen_incident",
    "incidents.merge_incident",
]
MANAGE = [*RESOLVE, "incidents.declare_major_incident"]
CATALOGUE = [
    "incidents.add_category",
    "incidents.change_category",
    "incidents.add_requesttype",
    "incidents.change_requesttype",
    "servicedesk.view_priorityrule",
    "servicedesk.change_priorityrule",
]

ROLE_PERMISSIONS = {
    "Requester": FILE,
    "Agent": RESOLVE,
    "Group manager": MANAGE,
    "Problem manager": RESOLVE,
    "Change manager": WORK,
    "CAB member": VIEW,
    "Release manager": WORK,
    "Configuration manager": WORK,
    "Administrator": [*MANAGE, *CATALOGUE],
}
