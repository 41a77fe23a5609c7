"""What each role may do with knowledge articles.

Agents read every article published to agents or the portal and write drafts (authors); knowledge
reviewers (group managers, problem managers, administrators) also publish, send back and retire.
Requesters read what is published to the portal, which needs no right but the portal's."""

READ = ["knowledge.view_article"]
WRITE = [*READ, "knowledge.add_article", "knowledge.change_article"]
REVIEW = [*WRITE, "knowledge.review_article", "knowledge.view_articlecategory"]

ROLE_PERMISSIONS = {
    "Agent": WRITE,
    "Group manager": REVIEW,
    "Problem manager": REVIEW,
    "Change manager": READ,
    "CAB member": READ,
    "Release manager": READ,
    "Configuration manager": READ,
    "Administrator": [
        *REVIEW,
        "knowledge.add_articlecategory",
        "knowledge.change_articlecategory",
        "knowledge.delete_articlecategory",
    ],
}
