"""What each role may do in the CMDB: requesters nothing, agents read, configuration managers write."""

VIEW = [
    "cmdb.view_ciclass",
    "cmdb.view_configurationitem",
    "cmdb.view_relationshiptype",
    "cmdb.view_cirelationship",
    "cmdb.view_baseline",
]
BASELINE = [*VIEW, "cmdb.add_baseline"]
MANAGE = [
    *VIEW,
    "cmdb.add_ciclass",
    "cmdb.change_ciclass",
    "cmdb.add_configurationitem",
    "cmdb.change_configurationitem",
    "cmdb.import_configurationitem",
    "cmdb.add_relationshiptype",
    "cmdb.change_relationshiptype",
    "cmdb.add_cirelationship",
    "cmdb.change_cirelationship",
    "cmdb.delete_cirelationship",
    "cmdb.add_baseline",
]
ROLE_PERMISSIONS = {
    "Agent": VIEW,
    "Group manager": VIEW,
    "Problem manager": VIEW,
    "Change manager": VIEW,
    "CAB member": VIEW,
    "Release manager": BASELINE,
    "Configuration manager": MANAGE,
    "Administrator": MANAGE,
}
