"""E-mail against a real SMTP server (aiosmtpd on a free local port): plain, STARTTLS and
implicit TLS with AUTH, checking the multipart structure and the headers on the wire."""

from __future__ import annotations

import email
import shutil
import socket
import ssl
import subprocess
from collections.abc import Callable, Iterator
from email import policy as email_policy
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, Envelope, LoginPassword

from config.policy import ChannelConfig
from syncd.channels import build_sender
from syncd.channels.payloads import subject
from syncd.core.errors import ChannelError
from syncd.digest.model import Digest
from syncd.digest.render.common import clean

PASSWORD = "pa55-S3CR3T"


class Inbox:
    def __init__(self) -> None:
        self.envelopes: list[Envelope] = []
        self.logins: list[tuple[bytes, bytes]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Envelope) -> str:
        self.envelopes.append(envelope)
        return "250 Message accepted"

    def authenticate(
        self, server: Any, session: Any, envelope: Any, mechanism: str, data: Any
    ) -> AuthResult:
        assert isinstance(data, LoginPassword)
        self.logins.append((data.login, data.password))
        return AuthResult(success=data.password == PASSWORD.encode(), handled=False)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    if shutil.which("openssl") is None:
        pytest.skip("openssl is needed to make a test certificate")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=localhost",
            "-addext",
            "subjectAltName=DNS:localhost,IP:127.0.0.1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


def start(inbox: Inbox, **kwargs: Any) -> Controller:
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port(), **kwargs)
    controller.start()
    return controller


@pytest.fixture
def inbox() -> Inbox:
    return Inbox()


@pytest.fixture
def plain_server(inbox: Inbox) -> Iterator[Controller]:
    controller = start(inbox)
    yield controller
    controller.stop()


def channel(port: int, **extra: Any) -> ChannelConfig:
    fields: dict[str, Any] = {
        "type": "email",
        "to": ("olga@agency.example", "boss@agency.example"),
        "smtp_host": "127.0.0.1",
        "smtp_port": port,
        "smtp_security": "none",
        "sender": "syncd@agency.example",
        "timeout": 5,
    }
    return ChannelConfig(**{**fields, **extra})


def received(inbox: Inbox) -> email.message.EmailMessage:
    assert len(inbox.envelopes) == 1
    raw = inbox.envelopes[0].original_content
    assert isinstance(raw, bytes)
    assert b"\r\n" in raw
    assert b"\n" not in raw.replace(b"\r\n", b"")
    assert all(len(line) <= 998 for line in raw.split(b"\r\n"))
    message = email.message_from_bytes(raw, policy=email_policy.default)
    assert isinstance(message, email.message.EmailMessage)
    return message


def test_multipart_alternative_text_then_html(
    make_digest: Callable[..., Digest], inbox: Inbox, plain_server: Controller
) -> None:
    digest = make_digest(0)  # Russian: a long Cyrillic subject
    build_sender(channel(plain_server.port)).send(digest)
    message = received(inbox)
    assert message.get_content_type() == "multipart/alternative"
    parts = list(message.iter_parts())
    assert [p.get_content_type() for p in parts] == ["text/plain", "text/html"]
    assert all(p.get_content_charset() == "utf-8" for p in parts)
    assert "Проверить сегодня" in parts[0].get_content()
    assert "&lt;script&gt;" in parts[1].get_content()
    # The long Russian subject survives encoding and folding word for word.
    expected = clean(subject(digest))
    assert len(expected) > 78
    assert str(message["Subject"]) == expected
    assert message["From"] == "syncd@agency.example"
    assert message["Message-ID"]
    assert message["Date"]
    assert "Bcc" not in message
    assert "victim" not in str(message["Subject"])
    assert inbox.envelopes[0].rcpt_tos == ["olga@agency.example", "boss@agency.example"]


def test_starttls_with_auth(
    make_digest: Callable[..., Digest], inbox: Inbox, certificate: tuple[Path, Path]
) -> None:
    cert, key = certificate
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    controller = start(
        inbox,
        tls_context=context,
        require_starttls=True,
        authenticator=inbox.authenticate,
        auth_require_tls=True,
    )
    try:
        config = channel(
            controller.port,
            smtp_host="localhost",
            smtp_security="starttls",
            smtp_user="syncd",
            smtp_password_secret="SMTP_PASSWORD",
            smtp_ca_file=str(cert),
        )
        build_sender(config, env={"SMTP_PASSWORD": PASSWORD}).send(make_digest(1))
    finally:
        controller.stop()
    assert inbox.logins == [(b"syncd", PASSWORD.encode())]
    assert received(inbox).get_content_type() == "multipart/alternative"


def test_implicit_tls(
    make_digest: Callable[..., Digest], inbox: Inbox, certificate: tuple[Path, Path]
) -> None:
    cert, key = certificate
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    controller = start(inbox, ssl_context=context, server_hostname="localhost")
    try:
        config = channel(
            controller.port, smtp_host="localhost", smtp_security="ssl", smtp_ca_file=str(cert)
        )
        build_sender(config).send(make_digest(1))
    finally:
        controller.stop()
    assert received(inbox)["To"] == "olga@agency.example, boss@agency.example"


def test_wrong_password_is_a_channel_error_without_the_password(
    make_digest: Callable[..., Digest], inbox: Inbox, certificate: tuple[Path, Path]
) -> None:
    cert, key = certificate
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    controller = start(
        inbox, tls_context=context, authenticator=inbox.authenticate, auth_require_tls=True
    )
    wrong = "wrong-S3CR3T"
    try:
        config = channel(
            controller.port,
            smtp_host="localhost",
            smtp_security="starttls",
            smtp_user="syncd",
            smtp_password_secret="SMTP_PASSWORD",
            smtp_ca_file=str(cert),
        )
        with pytest.raises(ChannelError) as info:
            build_sender(config, env={"SMTP_PASSWORD": wrong}).send(make_digest(1))
    finally:
        controller.stop()
    assert wrong not in str(info.value)
    assert inbox.envelopes == []


def test_unreachable_server_is_a_retriable_channel_error(
    make_digest: Callable[..., Digest],
) -> None:
    with pytest.raises(ChannelError) as info:
        build_sender(channel(free_port())).send(make_digest(1))
    assert info.value.retriable
