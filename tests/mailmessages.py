"""E-mail messages as a mail client writes them, for the intake tests (kernel and incidents)."""

from email.message import EmailMessage
from email.utils import make_msgid

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
ENGLISH_REPLY = (
    "Thanks, it works again.\n"
    "\n"
    "On Tue, 24 Nov 2026 at 09:00, ITSM Service Desk <servicedesk@localhost> wrote:\n"
    "> Please restart Outlook and tell us if it starts.\n"
    ">\n"
    "> The desk\n"
)


def mail(
    *,
    sender="requester@example.com",
    subject="Outlook does not start",
    body="It crashes at once.",
    html=None,
    message_id="auto",
    headers=None,
    attachments=(),
) -> bytes:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = "desk@example.test"
    message["Subject"] = subject
    if message_id == "auto":
        message["Message-ID"] = make_msgid(domain="client.example")
    elif message_id:
        message["Message-ID"] = message_id
    for name, value in (headers or {}).items():
        message[name] = value
    if body is not None:
        message.set_content(body)
        if html:
            message.add_alternative(html, subtype="html")
    elif html:
        message.set_content(html, subtype="html")
    for name, content, content_type in attachments:
        maintype, subtype = content_type.split("/")
        message.add_attachment(content, maintype=maintype, subtype=subtype, filename=name)
    return message.as_bytes()
