"""Each tracker's webhook format, as pure functions (the HTTP endpoints around them are
tested over real HTTP in ``tests/runtime/test_webhooks.py``)."""

from __future__ import annotations

import hashlib
import hmac
import subprocess
import sys

from connectors.factory import WEBHOOK_FORMATS
from connectors.gitlab import webhooks as gitlab
from connectors.jira import webhooks as jira
from syncd.policy_file import read_policy_text

SECRET = b"s3cr3t-hook"
SOURCES = {
    s.name: s
    for s in read_policy_text(
        """
sources:
  - {name: j, type: jira, url: https://agency.atlassian.net,
     auth: {kind: basic, user: bot@agency.example, secret: JIRA_TOKEN},
     scope: {jql: "project in (SHOP, WEB-SITE) ORDER BY updated"}}
  - {name: g, type: gitlab, url: https://gitlab.example,
     auth: {kind: private_token, secret: GL_TOKEN}, scope: {group: agency/web}}
"""
    ).sources
}


def test_every_tracker_type_has_a_format() -> None:
    assert set(WEBHOOK_FORMATS) == {"jira", "gitlab"}
    assert all(tracker == f.tracker for tracker, f in WEBHOOK_FORMATS.items())


def test_jira_signature_covers_the_exact_body() -> None:
    body = b'{"issue": {"key": "SHOP-1"}}'
    signature = "sha256=" + hmac.new(SECRET, body, hashlib.sha256).hexdigest()
    assert jira.verify({"x-hub-signature": signature.upper()}, body, SECRET)
    assert not jira.verify({"x-hub-signature": signature}, body + b" ", SECRET)
    assert not jira.verify({}, body, SECRET)
    assert jira.FORMAT.delivery_id({"idempotency-key": "k"}) is None


def test_gitlab_token_is_the_secret_and_the_delivery_id_is_kept() -> None:
    assert gitlab.verify({"x-gitlab-token": SECRET.decode()}, b"", SECRET)
    assert not gitlab.verify({"x-gitlab-token": "guess"}, b"", SECRET)
    assert gitlab.delivery_id({"idempotency-key": "abc"}) == "abc"
    assert gitlab.delivery_id({"idempotency-key": ""}) is None


def test_scope_names_the_project_only_as_a_whole_name() -> None:
    assert jira.names_project(SOURCES["j"], "shop")
    assert not jira.names_project(SOURCES["j"], "WEB")  # a prefix of WEB-SITE, not a key
    assert gitlab.names_project(SOURCES["g"], "agency/web/landing")
    assert not gitlab.names_project(SOURCES["g"], "agency/website")


def test_reading_a_webhook_format_loads_neither_tracker_library() -> None:
    code = (
        "import sys, connectors.factory; "
        "print(sorted(m for m in ('jira', 'gitlab') if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "[]"
