"""A real SMTP server on loopback (aiosmtpd, in its own thread) that keeps what it receives, for the e-mail tests."""

from __future__ import annotations

import logging
import socket
import ssl
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

USER, PASSWORD = "assistant", "smtp-password-4b1d"


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage


@dataclass
class Inbox:
    received: list[Received] = field(default_factory=list)
    logins: list[str] = field(default_factory=list)
    tls: list[bool] = field(default_factory=list)  # per message: did it arrive over STARTTLS?

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        raw = (envelope.original_content or envelope.content).replace(b"\r\n", b"\n")  # as a mail app reads it
        message = message_from_bytes(raw, policy=policy.default)
        self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), message))  # type: ignore[arg-type]
        self.tls.append(session.ssl is not None)
        return "250 OK"

    def authenticate(self, server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> AuthResult:
        ok = isinstance(data, LoginPassword) and (data.login, data.password) == (USER.encode(), PASSWORD.encode())
        if ok:
            self.logins.append(data.login.decode())
        return AuthResult(success=ok, handled=False)  # aiosmtpd then answers 535 itself

    def to(self, address: str) -> list[EmailMessage]:
        return [r.message for r in self.received if address in r.rcpt_tos]


@dataclass
class SmtpServer:
    host: str
    port: int
    inbox: Inbox


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def smtp_server(*, tls_context: ssl.SSLContext | None = None, auth: bool = False) -> Iterator[SmtpServer]:
    """An SMTP server on 127.0.0.1; STARTTLS offered when `tls_context` is given; AUTH LOGIN/PLAIN when `auth`."""
    # aiosmtpd logs every line it receives: keep addresses out of the logs the tests check.
    logging.getLogger("mail.log").setLevel(logging.WARNING)
    inbox = Inbox()
    options: dict[str, Any] = {"tls_context": tls_context}
    if auth:
        options.update(authenticator=inbox.authenticate, auth_require_tls=tls_context is not None)
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port(), **options)
    controller.start()
    try:
        yield SmtpServer("127.0.0.1", controller.port, inbox)
    finally:
        controller.stop()


def self_signed_certificate(folder: Path) -> tuple[Path, Path]:
    """(certificate, key) for 127.0.0.1 / localhost, made with the openssl command."""
    cert, key = folder / "smtp-cert.pem", folder / "smtp-key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost",
         "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    return cert, key


def server_tls_context(cert: Path, key: Path) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    return context
