from servicedesk.records.policy import RecordPolicy

from . import workflow as wf
from .models import Chore


class ChoreRules(RecordPolicy):
    model = Chore
    work_permission = wf.WORK_PERMISSION
    view_permission = "kernelkind.view_chore"
    final_statuses = wf.FINAL_STATUSES


ChorePolicy = ChoreRules()
