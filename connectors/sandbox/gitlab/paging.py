"""GitLab's two pagination styles, with the headers clients rely on.

Offset (``page``/``per_page``): ``X-Page``, ``X-Per-Page``, ``X-Next-Page`` (empty on the last
page), ``X-Prev-Page`` and ``Link`` (prev/next/first/last). Above 10,000 results GitLab omits
``X-Total``, ``X-Total-Pages`` and ``rel="last"`` — python-gitlab's ``len()`` is then 0 — and
offsets past 50,000 answer 405 on resources that support keyset paging.

Keyset (``pagination=keyset``): only ``Link: rel="next"`` carrying an opaque ``cursor`` (the
last row's sort key and id), present only while more rows follow. Robust to rows changing
while a client pages, unlike offsets.

Links repeat the request's own URL (including an encoded ``agency%2Fshop``) with the paging
parameter replaced, so a client's base-URL check is satisfied.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Sequence
from typing import Any, TypeVar
from urllib.parse import urlencode

from starlette.requests import Request

__all__ = ["COUNT_LIMIT", "MAX_OFFSET", "PageError", "keyset_page", "offset_page", "per_page_of"]

T = TypeVar("T")
COUNT_LIMIT = 10_000
MAX_OFFSET = 50_000


class PageError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def _int(request: Request, name: str, default: int) -> int:
    raw = request.query_params.get(name)
    if raw in (None, ""):
        return default
    try:
        return int(raw)
    except ValueError:
        raise PageError(400, f"{name} is invalid") from None


def per_page_of(request: Request) -> int:
    """GitLab clamps ``per_page`` to 1..100 (default 20) rather than refusing it."""
    return max(1, min(100, _int(request, "per_page", 20)))


def _link(request: Request, **replace: Any) -> str:
    raw_path = request.scope.get("raw_path")
    path = raw_path.decode("latin-1") if raw_path else request.url.path
    params = [(k, v) for k, v in request.query_params.multi_items() if k not in replace]
    params += [(k, str(v)) for k, v in replace.items()]
    return f"{request.url.scheme}://{request.url.netloc}{path}?{urlencode(params)}"


def offset_page(
    request: Request,
    items: Sequence[T],
    *,
    keyset_capable: bool = False,
    count_limit: int = COUNT_LIMIT,
    max_offset: int = MAX_OFFSET,
) -> tuple[list[T], dict[str, str]]:
    """The requested page of ``items`` and its headers. ``count_limit``/``max_offset`` are
    GitLab's 10,000 and 50,000; tests lower them to exercise those paths cheaply."""
    per_page = per_page_of(request)
    page = max(1, _int(request, "page", 1))
    offset = (page - 1) * per_page
    if keyset_capable and offset > max_offset:
        raise PageError(
            405,
            f"Offset pagination has a maximum allowed offset of {max_offset} for requests "
            "that return objects of type Issue. Remaining records can be retrieved using "
            "keyset pagination.",
        )
    total = len(items)
    pages = max(1, -(-total // per_page))
    chunk = list(items[offset : offset + per_page])
    has_next = offset + per_page < total
    headers = {
        "X-Page": str(page),
        "X-Per-Page": str(per_page),
        "X-Next-Page": str(page + 1) if has_next else "",
        "X-Prev-Page": str(page - 1) if page > 1 else "",
    }
    links = []
    if page > 1:
        links.append(f'<{_link(request, page=page - 1)}>; rel="prev"')
    if has_next:
        links.append(f'<{_link(request, page=page + 1)}>; rel="next"')
    links.append(f'<{_link(request, page=1)}>; rel="first"')
    if total <= count_limit:
        headers["X-Total"] = str(total)
        headers["X-Total-Pages"] = str(pages)
        links.append(f'<{_link(request, page=pages)}>; rel="last"')
    headers["Link"] = ", ".join(links)
    return chunk, headers


def _encode(key: Any, row_id: int) -> str:
    raw = json.dumps({"k": key, "id": row_id}).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode(cursor: str) -> tuple[Any, int]:
    try:
        data = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        return data["k"], int(data["id"])
    except (binascii.Error, ValueError, KeyError, TypeError):
        raise PageError(400, "cursor is invalid") from None


def keyset_page(
    request: Request,
    items: Sequence[T],
    key: Callable[[T], Any],
    row_id: Callable[[T], int],
    descending: bool,
) -> tuple[list[T], dict[str, str]]:
    """``items`` must already be sorted by (key, id) in the requested direction."""
    per_page = per_page_of(request)
    cursor = request.query_params.get("cursor")
    rows = list(items)
    if cursor:
        after = _decode(cursor)
        if descending:
            rows = [r for r in rows if (key(r), row_id(r)) < after]
        else:
            rows = [r for r in rows if (key(r), row_id(r)) > after]
    chunk = rows[:per_page]
    headers = {"X-Per-Page": str(per_page)}
    if len(rows) > per_page:
        last = chunk[-1]
        headers["Link"] = f'<{_link(request, cursor=_encode(key(last), row_id(last)))}>; rel="next"'
    return chunk, headers
