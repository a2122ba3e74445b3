"""Contract test: what the sandbox Jira (Cloud) answers validates against Atlassian's
published OpenAPI description of the Cloud platform REST API v3, so the sandbox cannot
drift from the real API.

The spec is read from the shared reference folder (``../shared/reference/jira`` beside the
repository) once per session. Two deliberate relaxations: the spec's own defects stop the
spec validator, so it is skipped; and Jira really formats ``date-time`` values as
``2026-11-20T10:15:00.000+0300`` (offset without a colon) although the spec says RFC 3339,
so the date-time check accepts both forms — the sandbox must look like Jira, not like the
spec's idealisation of it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from connectors.sandbox.server import SandboxServer
from tests.sandbox.jira_helpers import SHARED, example_seed, serve
from tests.support.reference import required

SPEC = SHARED / "jira" / "openapi-v3.json"
_DATE_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:?\d\d)")


@pytest.fixture(scope="session")
def openapi() -> Any:
    required(SPEC)
    from openapi_core import Config, OpenAPI

    spec = json.loads(SPEC.read_text(encoding="utf-8"))
    spec["servers"] = [{"url": "http://127.0.0.1:{port}", "variables": {"port": {"default": "80"}}}]
    config = Config(
        spec_validator_cls=None,
        extra_format_validators={"date-time": lambda v: bool(_DATE_TIME.fullmatch(v))},
    )
    return OpenAPI.from_dict(spec, config=config)


@pytest.fixture(scope="module")
def cloud() -> Iterator[SandboxServer]:
    with serve(example_seed(), "cloud") as server:
        yield server


@pytest.fixture
def http() -> Iterator[requests.Session]:
    with requests.Session() as session:
        session.auth = ("syncd@agency.example", "bot-token-1")
        yield session


def check(openapi: Any, answer: requests.Response) -> None:
    from openapi_core.contrib.requests import RequestsOpenAPIRequest, RequestsOpenAPIResponse

    assert answer.ok, answer.text
    openapi.validate_response(
        RequestsOpenAPIRequest(answer.request), RequestsOpenAPIResponse(answer)
    )


ADF = {
    "type": "doc",
    "version": 1,
    "content": [{"type": "paragraph", "content": [{"type": "text", "text": "Checkpoint"}]}],
}


@pytest.mark.parametrize(
    ("method", "path", "options"),
    [
        ("GET", "/rest/api/3/serverInfo", {}),
        ("GET", "/rest/api/3/myself", {}),
        ("GET", "/rest/api/3/search/jql", {"params": {"jql": "project = SHOP"}}),
        (
            "GET",
            "/rest/api/3/search/jql",
            {
                "params": {
                    "jql": "project in (SHOP, NOVA) ORDER BY updated ASC, key ASC",
                    "fields": "*all",
                    "maxResults": 2,
                }
            },
        ),
        (
            "POST",
            "/rest/api/3/search/jql",
            {
                "json": {
                    "jql": "project = NOVA",
                    "fields": ["summary", "comment", "duedate"],
                    "expand": "changelog",
                }
            },
        ),
        ("GET", "/rest/api/3/issue/SHOP-1", {}),
        ("GET", "/rest/api/3/issue/NOVA-8", {"params": {"expand": "changelog,names"}}),
        (
            "GET",
            "/rest/api/3/issue/NOVA-7/comment",
            {"params": {"startAt": 0, "maxResults": 1, "orderBy": "-created"}},
        ),
        ("GET", "/rest/api/3/issue/NOVA-7/comment", {"params": {"expand": "properties"}}),
        (
            "POST",
            "/rest/api/3/issue/SHOP-2/comment",
            {"json": {"body": ADF, "properties": [{"key": "syncd", "value": {"m": 1}}]}},
        ),
        ("GET", "/rest/api/3/issue/NOVA-8/changelog", {}),
        ("GET", "/rest/api/3/field", {}),
    ],
)
def test_sandbox_answers_match_the_spec(
    openapi: Any,
    cloud: SandboxServer,
    http: requests.Session,
    method: str,
    path: str,
    options: dict[str, Any],
) -> None:
    check(openapi, http.request(method, cloud.url + path, **options))


def test_the_check_can_fail(openapi: Any, cloud: SandboxServer, http: requests.Session) -> None:
    """A doctored answer (an unknown property on an object that allows none) is refused."""
    answer = http.get(cloud.url + "/rest/api/3/serverInfo")
    answer._content = json.dumps({**answer.json(), "bogus": 1}).encode()
    with pytest.raises(Exception, match=r"bogus|not valid"):
        check(openapi, answer)
