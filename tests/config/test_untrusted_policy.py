"""The policy file is input like any other: bounded (size, aliases, depth), UTF-8 or a clear
error, durations and numbers that mean what they say, and no secret written where only its
name belongs — every refusal with file, line and plain words, exit 2, never a traceback.
Seed files for ``syncd sandbox`` get the same reading."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from config.bounded_yaml import MAX_ALIASES, MAX_DEPTH, MAX_FILE_BYTES
from syncd.core.errors import ConfigError
from syncd.policy_file import read_policy, read_policy_text
from tests.runtime.process import run_syncd

SOURCE = """\
sources:
  - name: agency
    type: jira
    url: https://agency.atlassian.net
    auth: {kind: basic, user: bot@agency.example, secret: JIRA_TOKEN}
    scope: {jql: "project = SHOP"}
"""


def _validate(path: Path) -> subprocess.CompletedProcess[str]:
    return run_syncd("config", "validate", str(path), env={})


def _problems(text: str) -> dict[str, tuple[str, int | None]]:
    with pytest.raises(ConfigError) as info:
        read_policy_text(text, "policy.yaml")
    return {i.path: (i.message, i.line) for i in info.value.issues}


# -- bounds on the document -----------------------------------------------------------

BILLION_LAUGHS = (
    "".join(
        f"{name}: &{name} [{', '.join([f'*{prev}'] * 9) if prev else ', '.join(['lol'] * 9)}]\n"
        for prev, name in zip(["", *"abcdefgh"], "abcdefghi", strict=True)
    )
    + "sources: [*i, *i, *i, *i, *i, *i, *i, *i, *i]\n"
)


def test_an_alias_bomb_is_refused_with_its_line(tmp_path: Path) -> None:
    # 9 levels of 9 aliases each: 9^10 nodes once expanded. Before the bound, validating it
    # grew without limit (gigabytes in seconds); now composition stops at the limit.
    policy = tmp_path / "policy.yaml"
    policy.write_text(BILLION_LAUGHS, encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        read_policy(policy)
    (issue,) = info.value.issues
    assert "alias" in issue.message
    assert issue.line is not None
    assert 2 <= issue.line <= 10
    proc = _validate(policy)
    assert proc.returncode == 2
    assert f"{policy}:{issue.line}:" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_many_small_aliases_are_refused() -> None:
    aliases = ", ".join(["*name"] * (MAX_ALIASES + 1))
    message, line = _problems(SOURCE + f"x: &name agency\nexempt_labels: [{aliases}]\n")[""]
    assert f"more than {MAX_ALIASES} aliases" in message
    assert line == 8


def test_a_few_aliases_are_fine() -> None:
    text = (
        "x-auth: &auth {kind: bearer, secret: JIRA_TOKEN}\n"
        "sources:\n"
        "  - {name: one, type: jira, url: 'https://a.example', auth: *auth, scope: {jql: a}}\n"
        "  - {name: two, type: jira, url: 'https://b.example', auth: *auth, scope: {jql: b}}\n"
    )
    with pytest.raises(ConfigError) as info:  # the extra top-level key, not the aliases
        read_policy_text(text)
    assert [i.path for i in info.value.issues] == ["x-auth"]


def test_a_recursive_alias_is_refused() -> None:
    message, line = _problems("sources: &loop [*loop]\n")[""]
    assert "points into itself" in message
    assert line == 1


def test_deep_nesting_is_refused_not_a_recursion_error() -> None:
    depth = 100_000
    message, line = _problems("sources: " + "[" * depth + "]" * depth + "\n")[""]
    assert f"more than {MAX_DEPTH} levels" in message
    assert line == 1


def test_a_file_over_the_size_limit_is_refused_unread(tmp_path: Path) -> None:
    policy = tmp_path / "policy.yaml"
    policy.write_text(SOURCE + "#" * MAX_FILE_BYTES + "\n", encoding="utf-8")
    proc = _validate(policy)
    assert proc.returncode == 2
    assert f"{policy}: <root>: larger than 2 MB" in proc.stderr


def test_a_non_utf8_file_names_the_byte_offset_and_line(tmp_path: Path) -> None:
    policy = tmp_path / "policy.yaml"
    raw = SOURCE.encode() + "managers:\n  - name: Ольга\n".encode("cp1251")
    policy.write_bytes(raw)
    offset = len(SOURCE.encode()) + len(b"managers:\n  - name: ")
    proc = _validate(policy)
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    assert f"{policy}:8: <root>: not UTF-8 text: byte 0xce at byte offset {offset}" in proc.stderr


def test_a_utf8_bom_is_accepted(tmp_path: Path) -> None:
    policy = tmp_path / "policy.yaml"
    policy.write_bytes(b"\xef\xbb\xbf" + SOURCE.encode())
    assert read_policy(policy).sources[0].name == "agency"


# -- values ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("poll_interval", "true", "not true/false"),
        ("poll_interval", ".inf", "not a finite number"),
        ("poll_interval", ".nan", "not a finite number"),
        ("poll_interval", "99999999d", "at most 30d"),
        ("poll_interval", "31d", "at most 30d"),
        ("poll_interval", "0", "more than 0"),
        ("poll_interval", "-5", "more than 0"),
        ("poll_interval", "soon", "expected a duration"),
        ("scope_sweep_every", "1.0e+400", "not a finite number"),
        ("sync_overlap", "8d", "at most 7d"),
        ("reminder_cooldown", "400d", "at most 365d"),
        ("max_actions_per_cycle", "true", "not true/false"),
        ("calendar", "{weekend: [true, 6]}", "not true/false"),
    ],
)
def test_bad_numbers_and_durations_are_refused(field: str, value: str, expected: str) -> None:
    problems = _problems(SOURCE + f"    {field}: {value}\n")
    path = "sources[0].calendar.weekend" if field == "calendar" else f"sources[0].{field}"
    message, line = problems[path]
    assert expected in message
    assert line == 7
    assert not message.startswith("Value error")


@pytest.mark.parametrize(
    ("value", "seconds"), [("30d", 30 * 86400.0), ("1s", 1.0), ("0.05", 0.05), ("'90s'", 90.0)]
)
def test_durations_within_bounds_are_read(value: str, seconds: float) -> None:
    policy = read_policy_text(SOURCE + f"    poll_interval: {value}\n")
    assert policy.sources[0].poll_interval == seconds


def test_channel_timeout_and_port_are_checked_too() -> None:
    text = SOURCE + (
        "managers:\n"
        "  - name: Olga\n"
        "    owns: [{source: agency}]\n"
        "    channels:\n"
        "      - {type: webhook, url_secret: HOOK_URL, timeout: .inf}\n"
        "      - {type: email, to: [a@agency.example], smtp_host: mail.example,\n"
        "         sender: syncd@agency.example, smtp_port: true}\n"
    )
    problems = _problems(text)
    assert "not a finite number" in problems["managers[0].channels[0].timeout"][0]
    assert "not true/false" in problems["managers[0].channels[1].smtp_port"][0]


# -- secrets --------------------------------------------------------------------------


def test_a_url_with_credentials_is_refused_without_repeating_them(tmp_path: Path) -> None:
    policy = tmp_path / "policy.yaml"
    policy.write_text(
        SOURCE.replace("https://agency.atlassian.net", "https://bot:Pa55w0rd-XYZ@agency.example"),
        encoding="utf-8",
    )
    proc = _validate(policy)
    assert proc.returncode == 2
    assert f"{policy}:4: sources[0].url: must not carry a user name or password" in proc.stderr
    assert "auth.secret" in proc.stderr
    assert "Pa55w0rd-XYZ" not in proc.stdout + proc.stderr


@pytest.mark.parametrize(
    "url_field",
    [
        "    rule_docs_url: 'https://u:Pa55w0rd-XYZ@wiki.example/{rule}'\n",
        "    rule_docs_url: 'https://Pa55w0rd-XYZ@wiki.example/{rule}'\n",
    ],
)
def test_other_urls_with_credentials_are_refused_too(url_field: str) -> None:
    message, _line = _problems(SOURCE + url_field)["sources[0].rule_docs_url"]
    assert "must not carry a user name or password" in message
    assert "Pa55w0rd" not in message


@pytest.mark.parametrize(
    ("where", "text"),
    [
        ("sources[0].auth.secret", SOURCE.replace("secret: JIRA_TOKEN", "secret: my-real-T0ken")),
        (
            "managers[0].channels[0].url_secret",
            SOURCE + "managers:\n  - name: Olga\n    owns: [{source: agency}]\n"
            "    channels: [{type: slack, url_secret: 'https://hooks.example/my-real-T0ken'}]\n",
        ),
        (
            "managers[0].channels[0].bot_token_secret",
            SOURCE + "managers:\n  - name: Olga\n    owns: [{source: agency}]\n"
            "    channels: [{type: telegram, chat_id: '42',\n"
            "                bot_token_secret: '12:my-real-T0ken'}]\n",
        ),
    ],
)
def test_a_secret_value_where_its_variable_name_belongs_is_never_echoed(
    tmp_path: Path, where: str, text: str
) -> None:
    policy = tmp_path / "policy.yaml"
    policy.write_text(text, encoding="utf-8")
    proc = _validate(policy)
    assert proc.returncode == 2
    assert f"{where}: is not an environment variable name" in proc.stderr
    assert "my-real-T0ken" not in proc.stdout + proc.stderr


def test_lowercase_or_dotted_names_are_not_variable_names() -> None:
    for name in ("jira_token", "JIRA.TOKEN", "1TOKEN", "JIRA TOKEN"):
        problems = _problems(SOURCE.replace("JIRA_TOKEN", f"'{name}'"))
        assert "is not an environment variable name" in problems["sources[0].auth.secret"][0]


EMAIL = SOURCE + (
    "managers:\n"
    "  - name: Olga\n"
    "    owns: [{source: agency}]\n"
    "    channels:\n"
    "      - type: email\n"
    "        to: [olga@agency.example]\n"
    "        smtp_host: mail.agency.example\n"
    "        sender: syncd@agency.example\n"
    "        smtp_security: none\n"
)


def test_a_plaintext_smtp_password_is_refused_unless_allowed() -> None:
    with_password = (
        EMAIL + "        smtp_user: syncd\n        smtp_password_secret: SMTP_PASSWORD\n"
    )
    message, line = _problems(with_password)["managers[0].channels[0]"]
    assert "smtp_security none would send the SMTP password unencrypted" in message
    assert "smtp_allow_plaintext_password: true" in message
    assert line == 11

    allowed = read_policy_text(with_password + "        smtp_allow_plaintext_password: true\n")
    assert allowed.managers[0].channels[0].smtp_allow_plaintext_password is True
    no_password = read_policy_text(EMAIL)  # an open relay on localhost needs no password
    assert no_password.managers[0].channels[0].smtp_security == "none"


# -- seed files (syncd sandbox) -------------------------------------------------------


def _sandbox(seed: Path) -> subprocess.CompletedProcess[str]:
    return run_syncd("sandbox", "jira-cloud", "--seed", str(seed), "--port", "0", env={})


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        (
            "seed.json",
            b'{"format": "syncd-seed/1", "x": "\xe9t\xe9"}',
            "not UTF-8 text: byte 0xe9 at byte offset 33",
        ),
        ("seed.json", b'{"format": ', "not valid JSON"),
        ("seed.json", b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
        ("seed.yaml", BILLION_LAUGHS.encode(), "alias"),
    ],
)
def test_a_bad_seed_file_is_one_line_and_exit_2(
    tmp_path: Path, name: str, content: bytes, expected: str
) -> None:
    seed = tmp_path / name
    seed.write_bytes(content)
    proc = _sandbox(seed)
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    assert proc.stderr.startswith(f"seed error: {seed}")
    assert expected in proc.stderr
