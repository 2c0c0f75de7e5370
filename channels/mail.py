"""E-mail to residents through an SMTP server (settings.MailSettings, CHIBA_SMTP_*): the worker's 'email' channel.

`Mailer.send` runs one SMTP conversation with the standard library's smtplib in a worker thread (the event loop never
waits on the network): connect, EHLO, STARTTLS when CHIBA_SMTP_STARTTLS is true (a server that does not offer it gets
nothing), login when CHIBA_SMTP_USER is set, one message as UTF-8 plain text. Any failure raises (an SMTPException or an
OSError such as a refused connection or a timeout); the worker then tries the notification again in a later round.

Each e-mail carries a Message-ID derived from the notification, so a reminder sent again after a worker died between
sending and recording it has the same id (mail clients and archives can drop the duplicate), and, for reminders with a
stop link, List-Unsubscribe / List-Unsubscribe-Post headers (RFC 8058 one-click) pointing at that link.
Nothing is logged here: addresses and message text are personal data.
"""

from __future__ import annotations

import asyncio
import smtplib
import ssl
import uuid
from dataclasses import dataclass
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formatdate, parseaddr
from typing import Any

from settings import MailSettings

# A subject line stays short (RFC 5322 recommends lines under 78 characters; mail apps cut long subjects anyway).
SUBJECT_CHARS = 60
_MESSAGE_ID_NAMESPACE = uuid.UUID("0b6f7f4e-94a4-4d4c-9f0e-5e2b6a1c7d21")
# Lines up to SMTP's limit (RFC 5322: 998): at the default 78 a long List-Unsubscribe URL would be folded into
# RFC 2047 encoded words, which mail apps cannot read as a URL. 7bit: the text goes as quoted-printable or base64,
# never as raw 8-bit bytes that a server without 8BITMIME would mangle.
MAIL_POLICY = policy.default.clone(max_line_length=998, cte_type="7bit")


class MailNotConfigured(RuntimeError):
    """CHIBA_SMTP_HOST is unset: e-mail is off."""


class NoAddress(ValueError):
    """An e-mail notification without an address to send to."""


@dataclass(frozen=True)
class Mail:
    to: str
    subject: str
    body: str
    message_id: str | None = None  # without the angle brackets: "local@domain"
    unsubscribe_url: str | None = None


def subject_of(text: str) -> str:
    """A subject line from a message's text: its first non-empty line, shortened."""
    first = next((line.strip() for line in text.splitlines() if line.strip()), "")
    return first if len(first) <= SUBJECT_CHARS else first[: SUBJECT_CHARS - 1] + "…"


def message_id(key: str, domain: str) -> str:
    """A stable Message-ID for `key` (e.g. "benefit_reminder:42"): the same key always gives the same id."""
    return f"{uuid.uuid5(_MESSAGE_ID_NAMESPACE, key)}@{domain}"


def build_message(mail: Mail, sender: str) -> EmailMessage:
    message = EmailMessage(policy=MAIL_POLICY)
    message["From"] = sender
    message["To"] = mail.to
    message["Subject"] = mail.subject
    message["Date"] = formatdate(localtime=False, usegmt=True)
    message["Auto-Submitted"] = "auto-generated"  # RFC 3834: no auto-replies ("out of office") back to us
    if mail.message_id:
        message["Message-ID"] = f"<{mail.message_id}>"
    if mail.unsubscribe_url:
        message["List-Unsubscribe"] = f"<{mail.unsubscribe_url}>"
        message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message.set_content(mail.body, charset="utf-8")
    return message


def sender_domain(settings: MailSettings) -> str:
    """The domain of the From address (for Message-IDs), else the SMTP host."""
    address = parseaddr(settings.from_address)[1]
    return address.rpartition("@")[2] or settings.host


class Mailer:
    def __init__(self, settings: MailSettings) -> None:
        if not settings.configured:
            raise MailNotConfigured("CHIBA_SMTP_HOST is unset")
        self._settings = settings

    @property
    def domain(self) -> str:
        return sender_domain(self._settings)

    async def send(self, mail: Mail) -> None:
        await asyncio.to_thread(self.send_sync, mail)

    def send_sync(self, mail: Mail) -> None:
        s = self._settings
        if not mail.to or "@" not in mail.to:
            raise NoAddress()
        Address(addr_spec=mail.to)  # raises ValueError (HeaderParseError) for what is not one address
        message = build_message(mail, s.from_address)
        with smtplib.SMTP(s.host, s.port, timeout=s.timeout) as smtp:
            smtp.ehlo()
            if s.starttls:
                # Raises SMTPNotSupportedError when the server does not offer STARTTLS: nothing goes out in clear.
                smtp.starttls(context=ssl.create_default_context())
                smtp.ehlo()
            if s.user:
                smtp.login(s.user, s.password.get_secret_value())
            smtp.send_message(message, from_addr=parseaddr(s.from_address)[1] or s.from_address, to_addrs=[mail.to])


class EmailSend:
    """The worker's 'email' sender: the rendered text to the notification's address, its first line as subject."""

    def __init__(self, mailer: Mailer, *, public_url: str | None = None) -> None:
        self._mailer = mailer
        self._public_url = public_url.rstrip("/") if public_url else None

    async def __call__(self, notification: Any, text: str) -> None:
        if not notification.recipient:
            raise NoAddress()
        token = (notification.params or {}).get("token")
        unsubscribe = f"{self._public_url}/for-you/stop?t={token}" if token and self._public_url else None
        mail = Mail(
            to=notification.recipient,
            subject=subject_of(text),
            body=text,
            message_id=message_id(f"{notification.kind}:{notification.id}", self._mailer.domain),
            unsubscribe_url=unsubscribe,
        )
        await self._mailer.send(mail)
