"""The e-mail on a phone: client and person names wrap only between words, and a long
section shows its first items and links to the rest in the tracker instead of scrolling
for a minute. These tests pin the structure; how it looks is checked by eye in headless
Chromium at 600 and 390 px (``chromium --headless --window-size=390,2000 --screenshot=…``
on ``render_html`` of a hostile 82-item digest, kept under the git-ignored
``tests/artifacts/``), never in an automated browser test."""

from __future__ import annotations

import re
from dataclasses import replace
from urllib.parse import parse_qs, unquote, urlsplit

from syncd.channels.payloads import text_body
from syncd.digest.model import Digest, DigestItem, DigestSection
from syncd.digest.render import render_html, render_text
from syncd.digest.render.more import SECTION_PREVIEW
from tests.digest import hostile


def _jira(n: int) -> DigestItem:
    return replace(
        hostile.hostile_digest().sections[0].items[3],
        key=f"SHOP-{n}",
        url=f"https://agency.atlassian.net/browse/SHOP-{n}",
        title=f"Задача {n}",
    )


def _gitlab(n: int) -> DigestItem:
    return replace(
        _jira(0),
        key=f"agency/bakery#{n}",
        url=f"https://gitlab.agency.example/agency/bakery/-/issues/{n}",
        title=f"Меню {n}",
    )


def _long_digest() -> Digest:
    overdue = tuple(_jira(100 + i) for i in range(30)) + tuple(_gitlab(i) for i in range(5))
    return replace(hostile.hostile_digest(), sections=(DigestSection("overdue", overdue),))


def _hrefs(markup: str) -> list[str]:
    return re.findall(r'href="([^"]+)"', markup)


def test_a_long_section_shows_its_first_items_and_links_to_the_rest() -> None:
    d = _long_digest()
    out = render_html(d)
    shown = [k for k in (i.key for i in d.sections[0].items) if f">{k}<" in out]
    assert shown == [i.key for i in d.sections[0].items[:SECTION_PREVIEW]]
    assert "…and 25 more items" in out
    jql_links = [h for h in _hrefs(out) if "/issues/?jql=" in h]
    assert len(jql_links) == 1
    jql = parse_qs(urlsplit(jql_links[0].replace("&amp;", "&")).query)["jql"][0]
    hidden_jira = [f"SHOP-{100 + i}" for i in range(SECTION_PREVIEW, 30)]
    assert jql == f"key in ({', '.join(hidden_jira)}) ORDER BY duedate ASC"
    gitlab = [h.replace("&amp;", "&") for h in _hrefs(out) if "gitlab" in h and "issues?" in h]
    assert gitlab == [
        "https://gitlab.agency.example/agency/bakery/-/issues?state=opened&sort=due_date"
    ]
    assert "open in Jira (agency.atlassian.net)" in out
    assert "open in GitLab (agency/bakery)" in out


def test_the_text_part_collapses_the_same_way() -> None:
    out = text_body(_long_digest())
    assert render_text(_long_digest()).count("\n    https://") == 35  # previews: everything
    assert out.count("    https://agency.atlassian.net/browse/SHOP-") == SECTION_PREVIEW
    assert "…and 25 more items" in out
    jql = next(line for line in out.splitlines() if "jql=" in line)
    assert "SHOP-129" in unquote(jql)
    assert "SHOP-109" not in unquote(jql)


def test_a_short_section_is_shown_whole() -> None:
    out = render_html(hostile.hostile_digest())
    assert "more item" not in out
    assert render_html(_long_digest(), preview=None).count("agency.atlassian.net/browse/") == 30


def test_names_wrap_between_words_never_inside_one() -> None:
    out = render_html(hostile.hostile_digest())
    clients = out[out.index("By client") : out.index("Overdue")]
    rows = re.findall(r"<tr>(.*?)</tr>", clients, re.S)
    assert rows
    assert all(row.count("<td") == 1 for row in rows), "the name above its figures"
    assert "break-all" not in out
    for name in ("Клиент", "Мария"):
        for at in [m.start() for m in re.finditer(name, out)]:
            style = out[:at].rsplit('style="', 1)[1].split('"', 1)[0]
            if "word-break" in style:
                assert "word-break:normal" in style, style
