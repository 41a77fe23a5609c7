import base64

from django.core import mail

from servicedesk.models import OutboxMessage
from servicedesk.services.outbox import send_email


def test_an_email_carries_the_attachments_of_its_payload():
    pdf = b"%PDF-1.4 not really"
    message = OutboxMessage(
        channel=OutboxMessage.Channel.EMAIL,
        event="test.attached",
        recipient="alice@example.com",
        payload={
            "subject": "Figures",
            "text": "Attached.",
            "attachments": [
                {
                    "name": "figures.pdf",
                    "media_type": "application/pdf",
                    "content": base64.b64encode(pdf).decode(),
                },
                {"name": "data.bin", "content": base64.b64encode(b"\x00\x01").decode()},
            ],
        },
    )

    send_email(message)

    [sent] = mail.outbox
    assert sent.attachments == [
        ("figures.pdf", pdf, "application/pdf"),
        ("data.bin", b"\x00\x01", "application/octet-stream"),
    ]
