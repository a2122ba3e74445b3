"""GitLab's paging rules in the sandbox, on plain lists: totals omitted above 10,000 results,
405 past offset 50,000 where keyset exists, keyset cursors."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.requests import Request

from connectors.sandbox.gitlab.paging import PageError, keyset_page, offset_page


def request(query: str, path: str = "/api/v4/projects/agency%2Fshop/issues") -> Request:
    scope: dict[str, Any] = {
        "type": "http",
        "method": "GET",
        "scheme": "http",
        "server": ("127.0.0.1", 8080),
        "path": path.replace("%2F", "/"),
        "raw_path": path.encode(),
        "query_string": query.encode(),
        "headers": [(b"host", b"127.0.0.1:8080")],
    }
    return Request(scope)


def test_small_result_has_totals_and_last_link() -> None:
    chunk, headers = offset_page(request("per_page=2&page=2"), list(range(5)))
    assert chunk == [2, 3]
    assert headers["X-Total"] == "5"
    assert headers["X-Total-Pages"] == "3"
    assert headers["X-Next-Page"] == "3"
    assert headers["X-Prev-Page"] == "1"
    assert 'rel="last"' in headers["Link"]
    assert (
        "<http://127.0.0.1:8080/api/v4/projects/agency%2Fshop/issues?per_page=2&page=3>"
        in headers["Link"]
    )


def test_above_ten_thousand_totals_and_last_are_omitted() -> None:
    chunk, headers = offset_page(request("per_page=100"), list(range(10_001)))
    assert len(chunk) == 100
    assert "X-Total" not in headers
    assert "X-Total-Pages" not in headers
    assert 'rel="last"' not in headers["Link"]
    assert 'rel="next"' in headers["Link"]
    _, exactly = offset_page(request("per_page=100"), list(range(10_000)))
    assert exactly["X-Total"] == "10000"


def test_offset_past_fifty_thousand_is_405_where_keyset_exists() -> None:
    rows = list(range(50_200))
    with pytest.raises(PageError) as err:
        offset_page(request("per_page=100&page=502"), rows, keyset_capable=True)
    assert err.value.status == 405
    chunk, _ = offset_page(request("per_page=100&page=502"), rows)  # e.g. notes: no limit
    assert chunk[0] == 50_100


def test_bad_page_number_is_400() -> None:
    with pytest.raises(PageError):
        offset_page(request("page=two"), [1])


def test_keyset_pages_follow_the_cursor() -> None:
    rows = [(f"2026-11-20T08:00:0{i // 2}.000Z", i) for i in range(7)]  # pairs share a key
    seen: list[int] = []
    query = "per_page=3&pagination=keyset"
    for _ in range(5):
        chunk, headers = keyset_page(request(query), rows, lambda r: r[0], lambda r: r[1], False)
        seen += [r[1] for r in chunk]
        if "Link" not in headers:
            break
        query = headers["Link"].split("?", 1)[1].split(">", 1)[0]
    assert seen == list(range(7))
    with pytest.raises(PageError):
        keyset_page(request("cursor=%%%"), rows, lambda r: r[0], lambda r: r[1], False)
