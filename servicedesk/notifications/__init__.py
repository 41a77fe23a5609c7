"""The notification events of the record kernel: which e-mails exist (`registry`), who is told of what
on a record (`audiences`), and the events the foundation owns (`standard`).

The services that write messages are in `servicedesk.services.notifications`.
"""
