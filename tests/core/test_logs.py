"""Logging: JSON when not on a terminal, context bound, secrets never written."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
import structlog
from pydantic import SecretStr

from syncd.core.logs import configure_logging, get_logger


@pytest.fixture(autouse=True)
def _reset_logging() -> Iterator[None]:
    yield
    structlog.reset_defaults()


def _lines(err: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in err.splitlines() if line.strip()]


def test_json_lines_with_bound_context(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("info", "json")
    get_logger("syncd.test", source="agency").info("cycle done", task="SHOP-1", synced=3)
    (line,) = _lines(capsys.readouterr().err)
    assert line["event"] == "cycle done"
    assert line["source"] == "agency"
    assert line["task"] == "SHOP-1"
    assert line["level"] == "info"


def test_level_filter(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("warning", "json")
    log = get_logger("syncd.test")
    log.info("quiet")
    log.warning("loud")
    assert [ln["event"] for ln in _lines(capsys.readouterr().err)] == ["loud"]


def test_module_level_logger_follows_later_configuration(
    capsys: pytest.CaptureFixture[str],
) -> None:
    early = get_logger("syncd.early")  # created before configure_logging, like a module's
    configure_logging("error", "json")
    early.info("must not appear")
    assert capsys.readouterr().err == ""


@pytest.mark.parametrize(
    ("fields", "leak"),
    [
        ({"token": "glpat-abcdef123456"}, "glpat-abcdef123456"),
        ({"password": "hunter2"}, "hunter2"),
        ({"Authorization": "Bearer abc.def"}, "abc.def"),
        ({"error": "GET failed: PRIVATE-TOKEN: glpat-zzz9 rejected"}, "glpat-zzz9"),
        ({"detail": "url?token=s3cr3t&x=1"}, "s3cr3t"),
        ({"secret": SecretStr("in-a-secretstr")}, "in-a-secretstr"),
        ({"settings": repr(SecretStr("repr-of-secret"))}, "repr-of-secret"),
        ({"error": "sent Authorization: Bearer abc123xyz"}, "abc123xyz"),
        ({"error": "header authorization=Basic dXNlcjpwYXNz"}, "dXNlcjpwYXNz"),
        ({"ctx": {"token": "nested-t0k"}}, "nested-t0k"),
        ({"ctx": [{"password": "in-a-list"}]}, "in-a-list"),
        ({"url": "https://bot:hunter3@jira.example/rest"}, "hunter3"),
    ],
)
def test_secrets_are_redacted(
    capsys: pytest.CaptureFixture[str], fields: dict[str, object], leak: str
) -> None:
    configure_logging("info", "json")
    get_logger("syncd.test").warning("something happened", **fields)
    err = capsys.readouterr().err
    assert leak not in err
    assert "something happened" in err


@pytest.mark.parametrize("fmt", ["json", "console"])
def test_secrets_in_tracebacks_are_redacted(capsys: pytest.CaptureFixture[str], fmt: str) -> None:
    configure_logging("info", fmt)
    try:
        raise RuntimeError("request failed with PRIVATE-TOKEN: glpat-in-traceback")
    except RuntimeError:
        get_logger("syncd.test").exception("boom")
    err = capsys.readouterr().err
    assert "boom" in err
    assert "RuntimeError" in err
    assert "glpat-in-traceback" not in err
