"""Secrets quoted back by a tracker or a channel are masked where the error is made, in
every form they travel in; the log's redaction masks them again as a second net.

Connectors run over real HTTP against the sandbox trackers (``echo_credentials`` fault: a
proxy's error page quoting the request's credential headers); channels against respx.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote, quote_plus

import pytest
import respx
import structlog
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

from config.policy import ChannelConfig, SourceConfig
from connectors.factory import create_connector
from connectors.http.retry import RetryPolicy
from connectors.http.status_errors import MAX_TEXT, error_for_status
from connectors.sandbox.common.seed import load_seed
from connectors.sandbox.server import DEMO_SEED, SandboxServer, create_app
from syncd.channels import build_sender
from syncd.core.errors import ChannelError, ConnectorError
from syncd.core.logs import configure_logging, get_logger
from syncd.core.secrets_mask import MASK, SecretMasker, register_secret, secret_forms
from syncd.digest.model import Digest
from tests.digest.conftest import make_digest
from tests.runtime.process import free_port

__all__ = ["make_digest"]  # the fixture, used by the channel tests below

TOKEN = "bot-token-1"  # the demo seed's bot
USER = "syncd@agency.example"


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


# -- the masker ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "form",
    [
        "s3cr3t/T0k+en=",  # as written
        "Bearer s3cr3t/T0k+en=",  # the Bearer header value
        quote("s3cr3t/T0k+en=", safe=""),  # percent-encoded
        "s3cr3t%2fT0k%2ben%3d",  # percent-encoded, lower-case hex
        quote_plus("s3cr3t/T0k+en="),
        _b64("s3cr3t/T0k+en="),
        _b64(f"{USER}:s3cr3t/T0k+en="),  # HTTP Basic with the user it is sent with
        _b64(f"{USER}:s3cr3t/T0k+en=").rstrip("="),
        _b64(":s3cr3t/T0k+en="),  # Basic with an empty user
        _b64("s3cr3t/T0k+en=:"),
        _b64(f"\0{USER}\0s3cr3t/T0k+en="),  # SMTP AUTH PLAIN
        base64.urlsafe_b64encode(f"{USER}:s3cr3t/T0k+en=".encode()).decode(),
        json.dumps("s3cr3t/T0k+en=")[1:-1],
    ],
)
def test_every_form_of_a_secret_is_masked(form: str) -> None:
    masker = SecretMasker()
    masker.add("s3cr3t/T0k+en=", user=USER)
    masked = masker.mask(f"proxy said: header={form}; bye")
    assert "s3cr3t" not in masked
    assert form.removeprefix("Bearer ") not in masked
    assert masked.startswith("proxy said: header=")
    assert MASK in masked


def test_a_url_secret_is_masked_by_its_path_too() -> None:
    masker = SecretMasker(["https://hooks.slack.test/services/T000/B000/S3CR3TxSLACK"])
    masked = masker.mask("no_service: /services/T000/B000/S3CR3TxSLACK is gone")
    assert "S3CR3T" not in masked


def test_short_values_and_plain_text_are_left_alone() -> None:
    masker = SecretMasker(["t", "abc"])
    assert not masker
    assert secret_forms("abc") == set()
    assert masker.mask("the cat ate") == "the cat ate"


def test_a_basic_token_is_masked_whole_not_around_a_shorter_form() -> None:
    masker = SecretMasker()
    masker.add(TOKEN, user=USER)
    header = _b64(f"{USER}:{TOKEN}")
    assert masker.mask(f"Authorization: Basic {header}") == f"Authorization: Basic {MASK}"


# -- the connector boundary ------------------------------------------------------------


def test_truncating_a_long_error_never_leaves_half_a_secret() -> None:
    register_secret("half-and-half-secret-value")
    text = "x" * (MAX_TEXT - 10) + " half-and-half-secret-value"
    error = error_for_status("Jira", "search", "agency", 500, text, wait=None, default_wait=1)
    assert "half-and" not in str(error)


def _source(url: str, flavour: str) -> SourceConfig:
    if flavour.startswith("gitlab"):
        kind = "bearer" if flavour == "gitlab-bearer" else "private_token"
        auth = {"kind": kind, "secret": "TRACKER_TOKEN"}
        return SourceConfig.model_validate(
            {"name": "lab", "type": "gitlab", "url": url, "auth": auth,
             "scope": {"group": "agency"}}
        )  # fmt: skip
    auth = (
        {"kind": "basic", "user": USER, "secret": "TRACKER_TOKEN"}
        if flavour == "jira-cloud"
        else {"kind": "bearer", "secret": "TRACKER_TOKEN"}
    )
    return SourceConfig.model_validate(
        {"name": "agency", "type": "jira", "url": url, "auth": auth,
         "scope": {"jql": "project = SHOP"}}
    )  # fmt: skip


def _read_one_task(source: SourceConfig) -> None:
    connector = create_connector(source, {"TRACKER_TOKEN": TOKEN}, interactive=True)
    try:
        connector.fetch_task("SHOP-1" if source.type == "jira" else "agency/shop#1")
    finally:
        connector.close()


@pytest.mark.parametrize(
    ("flavour", "sandbox", "leaks"),
    [
        ("jira-cloud", "jira-cloud", (TOKEN, _b64(f"{USER}:{TOKEN}"))),
        ("jira-dc", "jira-dc", (TOKEN,)),
        ("gitlab", "gitlab", (TOKEN,)),
        ("gitlab-bearer", "gitlab", (TOKEN,)),
    ],
)
def test_tracker_error_quoting_the_credentials_is_masked_at_the_boundary(
    flavour: str, sandbox: str, leaks: tuple[str, ...]
) -> None:
    seed = load_seed(DEMO_SEED, flavour=sandbox)  # type: ignore[arg-type]
    with SandboxServer(create_app(sandbox, seed)) as server:
        server.faults.add(kind="echo_credentials", status=500, times=None)
        source = _source(server.url, flavour)
        with pytest.raises(ConnectorError) as info:
            _read_one_task(source)
    message = str(info.value)
    assert "HTTP 500" in message
    assert "request headers" in message  # the server's text is kept, credentials are not
    assert MASK in message
    for leak in leaks:
        assert leak not in message


# -- channels --------------------------------------------------------------------------

HOOK_URL = "https://crm.test/hooks/S3CR3TxHOOK-2"
TG_TOKEN = "654321:S3CR3TxTOKEN-2"


def _sender(**config: object):  # type: ignore[no-untyped-def]
    env = {"HOOK_URL": HOOK_URL, "TG_TOKEN": TG_TOKEN}
    retry = RetryPolicy(max_attempts=1, sleep=lambda _s: None)
    return build_sender(ChannelConfig(**config), env=env, retry=retry)  # type: ignore[arg-type]


def test_webhook_channel_error_quoting_the_url_encoded_url_is_masked(
    make_digest: object,
) -> None:
    digest: Digest = make_digest(1)  # type: ignore[operator]
    with respx.mock(assert_all_called=True) as mock:
        mock.post(HOOK_URL).respond(400, json={"error": f"no route for {quote(HOOK_URL, safe='')}"})
        with pytest.raises(ChannelError) as info:
            _sender(type="webhook", url_secret="HOOK_URL").send(digest)
    assert "no route for" in str(info.value)
    assert "S3CR3T" not in str(info.value)


def test_telegram_error_quoting_the_encoded_token_is_masked(make_digest: object) -> None:
    digest: Digest = make_digest(1)  # type: ignore[operator]
    with respx.mock(assert_all_called=True) as mock:
        mock.post(f"https://api.telegram.org/bot{TG_TOKEN}/sendMessage").respond(
            400, json={"ok": False, "description": f"bad bot {quote(TG_TOKEN, safe='')}"}
        )
        with pytest.raises(ChannelError) as info:
            _sender(type="telegram", bot_token_secret="TG_TOKEN", chat_id="42").send(digest)
    assert "bad bot" in str(info.value)
    assert "S3CR3T" not in str(info.value)


# -- the log's second net --------------------------------------------------------------


@pytest.fixture
def json_logs() -> Iterator[None]:
    configure_logging("info", "json")
    yield
    structlog.reset_defaults()


def test_log_masks_registered_secrets_under_any_key(
    json_logs: None, capsys: pytest.CaptureFixture[str]
) -> None:
    register_secret("log-net-secret-42", user="ops@agency.example")
    basic = _b64("ops@agency.example:log-net-secret-42")
    get_logger("syncd.test").warning("upstream", detail=f"echo {basic} and log-net-secret-42")
    line = json.loads(capsys.readouterr().err)
    assert "log-net-secret" not in line["detail"]
    assert basic not in line["detail"]
    assert line["detail"].startswith("echo ")


def test_the_webhook_secret_of_the_settings_is_masked_in_logs(
    json_logs: None, capsys: pytest.CaptureFixture[str]
) -> None:
    from config.settings import Settings

    Settings(_env_file=None, webhook_secret="hook-secret-settings-7")  # type: ignore[call-arg, arg-type]
    get_logger("syncd.test").info("caller said", detail="sig hook-secret-settings-7")
    assert "hook-secret-settings-7" not in capsys.readouterr().err


# -- an SMTP server quoting the AUTH line ----------------------------------------------

SMTP_PASSWORD = "smtp-Pa55-quoted"


class _QuotingServer:
    """Refuses every login, quoting the AUTH PLAIN line it got (a chatty relay)."""

    def authenticate(
        self, server: Any, session: Any, envelope: Any, mechanism: str, data: Any
    ) -> AuthResult:
        plain = base64.b64encode(b"\0" + data.login + b"\0" + data.password).decode()
        return AuthResult(
            success=False, handled=False, message=f"535 5.7.8 refused AUTH PLAIN {plain}"
        )


def test_smtp_error_quoting_the_auth_plain_line_is_masked(make_digest: object) -> None:
    digest: Digest = make_digest(1)  # type: ignore[operator]
    quoting = _QuotingServer()
    controller = Controller(
        quoting,
        hostname="127.0.0.1",
        port=free_port(),
        authenticator=quoting.authenticate,
        auth_require_tls=False,
    )
    controller.start()
    try:
        config = ChannelConfig(
            type="email",
            to=("olga@agency.example",),
            smtp_host="127.0.0.1",
            smtp_port=controller.port,
            smtp_security="none",
            smtp_allow_plaintext_password=True,
            smtp_user="syncd",
            smtp_password_secret="SMTP_PASSWORD",
            sender="syncd@agency.example",
            timeout=5,
        )
        with pytest.raises(ChannelError) as info:
            build_sender(config, env={"SMTP_PASSWORD": SMTP_PASSWORD}).send(digest)
    finally:
        controller.stop()
    plain = _b64(f"\0syncd\0{SMTP_PASSWORD}")
    assert "refused AUTH PLAIN" in str(info.value)
    assert plain not in str(info.value)
    assert SMTP_PASSWORD not in str(info.value)
