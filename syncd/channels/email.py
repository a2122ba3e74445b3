"""E-mail over SMTP: multipart/alternative (text/plain first, then text/html), UTF-8.

Built with ``email.policy.SMTP`` so lines end in CRLF (strict servers refuse bare LF).
The subject is generated from digest counts and localized strings, and flattened to one
line, so a CR/LF in a task title can never reach a header.

A failure before the server said ``354`` (start mail input) means nothing was handed over:
a ``ChannelError`` retried next cycle. A timeout or a dropped connection once the message
is being sent may mean it was queued: ``DeliveryUnknownError``, never resent. A failing
``QUIT`` after the server accepted the message is ignored: the message is delivered.
"""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Mapping
from datetime import UTC, datetime
from email import policy as email_policy
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from config.policy import ChannelConfig
from config.settings import resolve_secret
from syncd.channels.http_client import scrub
from syncd.channels.payloads import Document, html_body, subject, text_body
from syncd.core.errors import ChannelError, DeliveryUnknownError, PartialDeliveryError
from syncd.digest.render.common import clean

__all__ = ["EmailSender", "build_message"]


def _domain(address: str) -> str:
    return address.rpartition("@")[2] or "syncd.local"


def build_message(
    doc: Document, config: ChannelConfig, now: datetime | None = None
) -> EmailMessage:
    assert config.sender is not None
    message = EmailMessage(policy=email_policy.SMTP)
    message["Subject"] = clean(subject(doc))
    message["From"] = config.sender
    message["To"] = ", ".join(config.to)
    message["Date"] = format_datetime(now or datetime.now(UTC))
    message["Message-ID"] = make_msgid("syncd", domain=_domain(config.sender))
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(text_body(doc), subtype="plain", charset="utf-8")
    message.add_alternative(html_body(doc), subtype="html", charset="utf-8")
    return message


def _login(smtp: smtplib.SMTP, user: str, password: str) -> None:
    """One attempt with PLAIN (else LOGIN) instead of ``smtp.login``'s walk through every
    mechanism: a wrong password fails once and fast, and never counts triple towards a
    server's lock-out."""
    smtp.ehlo_or_helo_if_needed()
    advertised = smtp.esmtp_features.get("auth", "").upper().split()
    smtp.user, smtp.password = user, password
    if "PLAIN" in advertised:
        smtp.auth("PLAIN", smtp.auth_plain)
    elif "LOGIN" in advertised:
        smtp.auth("LOGIN", smtp.auth_login)
    else:
        smtp.login(user, password)


class _ContentPhase(smtplib.SMTP):
    """Notes when the server agreed to take the message (its ``354`` answer to DATA):
    from then on a lost answer leaves the delivery unknown."""

    content_sent = False

    def getreply(self) -> tuple[int, bytes]:
        code, reply = super().getreply()
        if code == 354:
            self.content_sent = True
        return code, reply


class _SMTP(_ContentPhase):
    pass


class _SMTPSSL(_ContentPhase, smtplib.SMTP_SSL):
    pass


def _quit(smtp: smtplib.SMTP) -> None:
    """Say goodbye without letting a slow goodbye turn a delivered message into an error."""
    try:
        smtp.quit()
    except (smtplib.SMTPException, OSError):
        smtp.close()


class EmailSender:
    def __init__(self, config: ChannelConfig, env: Mapping[str, str] | None = None) -> None:
        assert config.smtp_host is not None
        assert config.sender is not None
        self.config = config
        self.env = dict(env) if env is not None else None
        self.name = f"email:{config.smtp_host}"

    def _connect(self) -> _ContentPhase:
        c = self.config
        assert c.smtp_host is not None
        context = ssl.create_default_context(cafile=c.smtp_ca_file)
        if c.smtp_security == "ssl":
            return _SMTPSSL(c.smtp_host, c.smtp_port, timeout=c.timeout, context=context)
        smtp = _SMTP(c.smtp_host, c.smtp_port, timeout=c.timeout)
        if c.smtp_security == "starttls":
            try:
                smtp.starttls(context=context)
            except BaseException:
                smtp.close()
                raise
        return smtp

    def send(self, doc: Document) -> None:
        message = build_message(doc, self.config)
        password = (
            resolve_secret(self.config.smtp_password_secret, self.env).get_secret_value()
            if self.config.smtp_password_secret
            else ""
        )
        smtp: _ContentPhase | None = None
        try:
            smtp = self._connect()
            if self.config.smtp_user:
                _login(smtp, self.config.smtp_user, password)
            refused = smtp.send_message(message)
        except (smtplib.SMTPException, OSError) as exc:
            # An SMTP server may quote the AUTH line back: base64 of "\0user\0password".
            problem = scrub(f"{type(exc).__name__}: {exc}", [password], user=self.config.smtp_user)
            answered = isinstance(exc, smtplib.SMTPResponseException)
            if smtp is not None:
                smtp.close()
                if smtp.content_sent and not answered:
                    raise DeliveryUnknownError(
                        f"{problem} (message sent, no answer: it may have been delivered)",
                        channel=self.name,
                    ) from None
            raise ChannelError(problem, channel=self.name, retriable=True) from None
        _quit(smtp)
        if refused:
            # smtplib raises when every recipient is refused; here some accepted the
            # message, so it must not be sent again (see PartialDeliveryError).
            names = tuple(sorted(refused))
            raise PartialDeliveryError(
                f"recipients refused: {', '.join(names)}", refused=names, channel=self.name
            )
