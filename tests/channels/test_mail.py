"""channels/mail.py against a real SMTP server on loopback (aiosmtpd): UTF-8 text, headers, STARTTLS, login and
failures."""

from __future__ import annotations

import smtplib
from pathlib import Path
from typing import Any

import pytest
from smtp_fakes import PASSWORD, USER, self_signed_certificate, server_tls_context, smtp_server

from channels.mail import EmailSend, Mail, Mailer, MailNotConfigured, NoAddress, message_id, subject_of
from settings import MailSettings, SettingsError

BODY = (
    "【千葉市 For You】ヒブワクチン 1回目の時期です（2月1日(日)から）。\nお知らせを止める：http://x/for-you/stop?t=abc"
)


def settings_for(server: Any, **overrides: Any) -> MailSettings:
    values: dict[str, Any] = {"host": server.host, "port": server.port, "starttls": False, "timeout": 5.0}
    values.update(overrides)
    return MailSettings(**values)


async def test_a_mail_arrives_as_utf8_text_with_its_headers() -> None:
    with smtp_server() as server:
        mailer = Mailer(settings_for(server, sender="Chiba City Assistant <noreply@city.example.jp>"))
        await mailer.send(
            Mail(to="hanako@example.jp", subject="ヒブワクチン", body=BODY, message_id="m1@city.example.jp",
                 unsubscribe_url="http://x/for-you/stop?t=abc")
        )  # fmt: skip
    [received] = server.inbox.received
    assert received.mail_from == "noreply@city.example.jp" and received.rcpt_tos == ["hanako@example.jp"]
    message = received.message
    assert message["To"] == "hanako@example.jp" and message["Subject"] == "ヒブワクチン"
    assert message["From"] == "Chiba City Assistant <noreply@city.example.jp>"
    assert message["Message-ID"] == "<m1@city.example.jp>" and message["Auto-Submitted"] == "auto-generated"
    assert message["List-Unsubscribe"] == "<http://x/for-you/stop?t=abc>"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert message.get_content_type() == "text/plain" and message.get_content_charset() == "utf-8"
    assert message.get_content().rstrip("\n") == BODY


async def test_starttls_is_used_when_the_server_offers_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cert, key = self_signed_certificate(tmp_path)
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))  # the client trusts the test certificate, and verifies it
    with smtp_server(tls_context=server_tls_context(cert, key), auth=True) as server:
        mailer = Mailer(settings_for(server, starttls=True, user=USER, password=PASSWORD))
        await mailer.send(Mail(to="taro@example.jp", subject="s", body="b"))
    assert server.inbox.tls == [True] and server.inbox.logins == [USER]
    assert server.inbox.received[0].mail_from == USER  # no CHIBA_SMTP_FROM: the login name


async def test_a_certificate_the_client_does_not_trust_sends_nothing(tmp_path: Path) -> None:
    cert, key = self_signed_certificate(tmp_path)
    with smtp_server(tls_context=server_tls_context(cert, key)) as server, pytest.raises(OSError):
        await Mailer(settings_for(server, starttls=True)).send(Mail(to="taro@example.jp", subject="s", body="b"))
    assert server.inbox.received == []


async def test_starttls_required_but_not_offered_sends_nothing() -> None:
    with smtp_server() as server, pytest.raises(smtplib.SMTPNotSupportedError):
        await Mailer(settings_for(server, starttls=True)).send(Mail(to="taro@example.jp", subject="s", body="b"))
    assert server.inbox.received == []


async def test_a_login_without_starttls_for_a_local_relay() -> None:
    with smtp_server(auth=True) as server:
        await Mailer(settings_for(server, user=USER, password=PASSWORD)).send(Mail("a@example.jp", "s", "b"))
        with pytest.raises(smtplib.SMTPAuthenticationError):
            await Mailer(settings_for(server, user=USER, password="wrong")).send(
                Mail(to="a@example.jp", subject="s", body="b")
            )
    assert server.inbox.logins == [USER] and len(server.inbox.received) == 1


async def test_an_unreachable_server_raises() -> None:
    from smtp_fakes import free_port

    mailer = Mailer(MailSettings(host="127.0.0.1", port=free_port(), starttls=False, timeout=2.0))
    with pytest.raises(OSError):
        await mailer.send(Mail(to="a@example.jp", subject="s", body="b"))


@pytest.mark.parametrize("address", ["", "not-an-address", "a@example.jp, b@example.jp"])
async def test_a_bad_address_is_refused_before_connecting(address: str) -> None:
    with smtp_server() as server, pytest.raises(ValueError):
        await Mailer(settings_for(server)).send(Mail(to=address, subject="s", body="b"))
    assert server.inbox.received == []


def test_without_a_host_there_is_no_mailer() -> None:
    assert not MailSettings.from_env({}).configured
    with pytest.raises(MailNotConfigured):
        Mailer(MailSettings.from_env({}))


def test_mail_settings_from_the_environment() -> None:
    mail = MailSettings.from_env(
        {"CHIBA_SMTP_HOST": "smtp.example.jp", "CHIBA_SMTP_PORT": "2525", "CHIBA_SMTP_STARTTLS": "off",
         "CHIBA_SMTP_PASSWORD": "secret-91ab", "CHIBA_SMTP_USER": "bot@example.jp"}
    )  # fmt: skip
    assert (mail.host, mail.port, mail.starttls, mail.timeout) == ("smtp.example.jp", 2525, False, 10.0)
    assert mail.from_address == "bot@example.jp" and "secret-91ab" not in repr(mail)
    assert MailSettings(host="smtp.example.jp").from_address == "noreply@smtp.example.jp"
    with pytest.raises(SettingsError, match="CHIBA_SMTP_PORT"):
        MailSettings.from_env({"CHIBA_SMTP_PORT": "0"})


@pytest.mark.parametrize(
    ("text", "subject"),
    [("件名\n本文", "件名"), ("\n\n  first line  \nrest", "first line"), ("x" * 80, "x" * 59 + "…"), ("", "")],
)
def test_the_subject_is_the_first_line(text: str, subject: str) -> None:
    assert subject_of(text) == subject


def test_message_ids_are_stable_per_notification() -> None:
    assert message_id("benefit_reminder:1", "a.jp") == message_id("benefit_reminder:1", "a.jp")
    assert message_id("benefit_reminder:1", "a.jp") != message_id("benefit_reminder:2", "a.jp")
    assert message_id("k", "a.jp").endswith("@a.jp")


class _Notification:
    def __init__(self, recipient: str | None, params: dict[str, str]) -> None:
        self.id, self.kind, self.channel, self.lang, self.message_key = 7, "benefit_reminder", "email", "ja", "m"
        self.recipient, self.params = recipient, params


async def test_the_worker_sender_sends_the_text_with_its_stop_link_header() -> None:
    with smtp_server() as server:
        send = EmailSend(Mailer(settings_for(server, sender="noreply@city.example.jp")), public_url="https://c.jp/")
        await send(_Notification("hanako@example.jp", {"token": "tok-1"}), BODY)
        await send(_Notification("hanako@example.jp", {"token": "tok-1"}), BODY)  # sent again after a crash
        with pytest.raises(NoAddress):
            await send(_Notification(None, {}), BODY)
    first, second = (r.message for r in server.inbox.received)
    assert first["Subject"] == subject_of(BODY) and first["List-Unsubscribe"] == "<https://c.jp/for-you/stop?t=tok-1>"
    assert first["Message-ID"] == second["Message-ID"]  # the same id: mail apps can drop the duplicate
