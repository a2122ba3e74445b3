"""Serving a tracker answer no sandbox would produce: a real answer, altered as raw text.

The sandbox trackers render with the standard JSON encoder, which can neither nest past
Python's recursion limit nor encode a lone surrogate — but real Jira and GitLab send both
(``"\\ud800"`` escapes, ADF lists inside lists). So a test reads the genuine answer the
connector is about to ask for, changes it as JSON text, and has the sandbox serve exactly
that text once or for good (a ``status`` fault with status 200, ``faults.py``).
"""

from __future__ import annotations

import json
from typing import Any

import requests

from connectors.jira import JiraConnector
from connectors.sandbox.common.faults import Fault
from connectors.sandbox.server import SandboxServer

__all__ = [
    "PLACEHOLDER",
    "deep_adf",
    "poisoned_cloud_page",
    "real_answer",
    "serve_text",
    "with_raw",
]

PLACEHOLDER = "__syncd_test_raw__"


def real_answer(server: SandboxServer, path: str, query: str, headers: dict[str, str]) -> Any:
    """The sandbox's JSON answer to ``GET path?query`` (as logged), authenticated."""
    response = requests.get(f"{server.url}{path}?{query}", headers=headers, timeout=30)
    response.raise_for_status()
    return response.json()


def with_raw(value: Any, raw: str) -> str:
    """``value`` as JSON text with the string ``PLACEHOLDER`` replaced by ``raw`` (a JSON
    fragment written by hand: an escape, or nesting the encoder would refuse)."""
    text = json.dumps(value)
    assert text.count(json.dumps(PLACEHOLDER)) == 1
    return text.replace(json.dumps(PLACEHOLDER), raw)


def deep_adf(levels: int, text: str = "deep") -> str:
    """An ADF document of ``levels`` bullet lists inside each other (4 JSON levels each)."""
    inner = json.dumps({"type": "paragraph", "content": [{"type": "text", "text": text}]})
    opening = '{"type":"bulletList","content":[{"type":"listItem","content":['
    return (
        '{"type":"doc","version":1,"content":[' + opening * levels + inner + "]}]}" * levels + "]}"
    )


def serve_text(server: SandboxServer, path: str, body: str, *, times: int | None = 1) -> None:
    """Answer the next ``times`` GETs of ``path`` (a regex) with ``body`` as JSON."""
    server.faults.add(
        Fault(
            kind="status",
            status=200,
            method="GET",
            path=path,
            times=times,
            body=body,
            headers={"Content-Type": "application/json;charset=UTF-8"},
        )
    )


def poisoned_cloud_page(connector: JiraConnector) -> str:
    """The sandbox's whole search answer with SHOP-1's description nested 300 lists deep
    and a lone surrogate, NUL and ESC in SHOP-2's first comment — what real Jira sends."""
    page: dict[str, Any] = connector.site.client.enhanced_search_issues(
        "project = SHOP ORDER BY updated ASC",
        fields=connector.fields(),
        expand="changelog",
        maxResults=50,
        json_result=True,
    )
    assert not page.get("nextPageToken")
    issues = {i["key"]: i for i in page["issues"]}
    issues["SHOP-1"]["fields"]["description"] = PLACEHOLDER + "deep"
    comment = issues["SHOP-2"]["fields"]["comment"]["comments"][0]["body"]
    comment["content"][0]["content"][0]["text"] = PLACEHOLDER + "text"
    text = json.dumps(page)
    text = text.replace(json.dumps(PLACEHOLDER + "deep"), deep_adf(300))
    return text.replace(json.dumps(PLACEHOLDER + "text"), '"bad \\ud800 nul\\u0000 esc\\u001b"')
