"""Approvals, one kernel service for every record kind (DESIGN.md §3).

- `services`: open, decide, cancel, delegate (for a period, or one request's decision); `sweep`: reminders
  and expiry;
- `selectors`: the requests on a record, the pending ones a person may decide, and the guard
  (`approval_pending`, `approval_settled`, `is_approved`) a transition table asks;
- `outcome`: how a rule counts votes (pure);
- `links`: the signed link in the e-mails;
- `views`, `forms`, `api`: the pages ("My approvals", the decision page) and the API.

A settled request calls back its record's kind (`RecordKind.on_approval`): the owning app decides what
happens to its record. Opening and settling re-sync the record's SLA clocks (its kind's adapter may pause
them while the record awaits approval).
"""
