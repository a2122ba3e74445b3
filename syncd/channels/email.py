"""E-mail over SMTP: multipart/alternative (text/plain first, then text/html), UTF-8.

Built with ``email.policy.SMTP`` so lines end in CRLF (strict servers refuse bare LF).
The subject is generated from digest counts and localized strings, and flattened to one
line, so a CR/LF in a task title can never reach a header.
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
from syncd.channels.http import scrub
from syncd.channels.payloads import Document, html_body, subject, text_body
from syncd.digest.render.common import clean
from syncd.errors import ChannelError

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


class EmailSender:
    def __init__(self, config: ChannelConfig, env: Mapping[str, str] | None = None) -> None:
        assert config.smtp_host is not None
        assert config.sender is not None
        self.config = config
        self.env = dict(env) if env is not None else None
        self.name = f"email:{config.smtp_host}"

    def _connect(self) -> smtplib.SMTP:
        c = self.config
        assert c.smtp_host is not None
        context = ssl.create_default_context(cafile=c.smtp_ca_file)
        if c.smtp_security == "ssl":
            return smtplib.SMTP_SSL(c.smtp_host, c.smtp_port, timeout=c.timeout, context=context)
        smtp = smtplib.SMTP(c.smtp_host, c.smtp_port, timeout=c.timeout)
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
        try:
            with self._connect() as smtp:
                if self.config.smtp_user:
                    _login(smtp, self.config.smtp_user, password)
                refused = smtp.send_message(message)
        except (smtplib.SMTPException, OSError) as exc:
            # An SMTP server may quote the AUTH line back: base64 of "\0user\0password".
            problem = scrub(f"{type(exc).__name__}: {exc}", [password], user=self.config.smtp_user)
            raise ChannelError(problem, channel=self.name, retriable=True) from None
        if refused:
            raise ChannelError(
                f"recipients refused: {', '.join(sorted(refused))}",
                channel=self.name,
                retriable=False,
            )
