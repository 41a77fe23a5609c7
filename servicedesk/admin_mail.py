"""The admin of mailboxes and the inbound e-mail log."""
