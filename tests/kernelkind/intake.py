"""The chore's e-mail intake: the kernel's replies, notes and follow-ups, with the chore's own filing.

A chore keeps no channel: the message it came from (`InboundEmail`, pointing at it) says it was e-mailed.
"""

from servicedesk.intake.records import RecordMailIntake

from .services import chore_create


class ChoreMailIntake(RecordMailIntake):
    def file(self, *, requester, title, body, uploads, mailbox=None):
        return chore_create(actor=requester, title=title, description=body, uploads=uploads)
