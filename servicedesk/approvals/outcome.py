"""How a rule counts the votes of an approval request. Pure: no database."""

from dataclasses import dataclass

ANY, ALL, MAJORITY = "any", "all", "majority"
PENDING, APPROVED, REJECTED = "pending", "approved", "rejected"


@dataclass(frozen=True)
class Tally:
    """The votes of a request: `voters` in all, the approvals and rejections given so far, and for its
    required approvers, how many there are and how many approved or rejected."""

    voters: int
    approvals: int
    rejections: int
    required: int = 0
    required_approvals: int = 0
    required_rejections: int = 0


def outcome(rule: str, tally: Tally) -> str:
    """`approved` when the rule is met and every required approver approved; `rejected` when a required
    approver rejected or the rule can no longer be met; `pending` otherwise.

    - any: one approval is enough; rejected only when every voter rejected;
    - all: every voter must approve; the first rejection rejects;
    - majority: more than half must approve; rejected once half or more rejected.
    """
    if tally.required_rejections:
        return REJECTED
    undecided = tally.voters - tally.approvals - tally.rejections
    if rule == ANY:
        met, possible = tally.approvals >= 1, tally.approvals + undecided >= 1
    elif rule == ALL:
        met, possible = tally.approvals == tally.voters, tally.rejections == 0
    elif rule == MAJORITY:
        met = tally.approvals * 2 > tally.voters
        possible = (tally.approvals + undecided) * 2 > tally.voters
    else:
        raise ValueError(rule)
    if not possible:
        return REJECTED
    if met and tally.required_approvals == tally.required:
        return APPROVED
    return PENDING
