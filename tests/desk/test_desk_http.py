"""The desk over real HTTP (the daemon's app on a socket, httpx with a cookie jar), over a
store filled by a real cycle against the sandbox Jira: who gets in, what each manager sees,
that tracker text stays text, and that the timeline's checkpoint mark is where the rule
puts it."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest

from rules.engine import Engine
from syncd.desk.access import sign_link, verify_token
from syncd.desk.app import SECURITY_HEADERS
from syncd.desk.pages import build_view, timeline_bars, timeline_window
from syncd.desk.svg import LABEL, WIDTH
from tests.desk.scene import HOSTILE, SECRET, desk_scenario, served
from tests.e2e.scenario import DEFAULT_NOW, Scenario

PAGES = ("/desk/", "/desk/timeline", "/desk/reports", "/desk/why?source=agency&key=SHOP-1")


@pytest.fixture(scope="module")
def sc(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Scenario]:
    yield from desk_scenario(tmp_path_factory.mktemp("desk"))


@pytest.fixture(scope="module")
def desk(sc: Scenario) -> Iterator[httpx.Client]:
    with served(sc) as client:
        yield client


def _login(client: httpx.Client, manager: str) -> httpx.Client:
    client.cookies.clear()
    answer = client.get("/desk/login/" + sign_link(SECRET, manager, DEFAULT_NOW, 30))
    assert answer.status_code == 200  # followed the redirect to /desk/
    assert answer.url.path == "/desk/"
    return client


def test_no_data_without_a_link(desk: httpx.Client) -> None:
    desk.cookies.clear()
    for path in PAGES:
        answer = desk.get(path)
        assert answer.status_code == 403, path
        assert "Olga" not in answer.text
        assert "Boris" not in answer.text
        assert "SHOP" not in answer.text
        for header, value in SECURITY_HEADERS.items():
            assert answer.headers[header] == value


def test_signed_link_opens_the_managers_own_pages(desk: httpx.Client) -> None:
    client = _login(desk, "Olga")
    for path in PAGES:
        answer = client.get(path)
        assert answer.status_code == 200, path
        for header, value in SECURITY_HEADERS.items():
            assert answer.headers[header] == value
        assert "<script" not in answer.text
        assert not re.search(r"\son[a-z]+=", answer.text)  # no inline event handlers
        assert "style=" not in answer.text  # CSP forbids inline style: none is needed
    overview = client.get("/desk/").text
    assert "Смартфон-маркет" in overview
    assert "SHOP-1" in overview
    assert "Ads Co" not in overview  # Boris's client
    assert "ADS-1" not in overview
    assert "Пульт" in overview  # Olga reads Russian
    css = client.get("/desk/static/desk.css")
    assert css.headers["content-type"].startswith("text/css")
    assert "@media print" in css.text


def test_manager_sees_only_their_clients(desk: httpx.Client) -> None:
    boris = _login(desk, "Boris")
    page = boris.get("/desk/").text
    assert "Ads Co" in page
    assert "SHOP-1" not in page
    assert "Смартфон-маркет" not in page
    # Olga's task and client exist, but not for Boris: the same 404 as a made-up one.
    assert boris.get("/desk/why", params={"source": "agency", "key": "SHOP-1"}).status_code == 404
    assert boris.get("/desk/why", params={"source": "agency", "key": "NOPE-9"}).status_code == 404
    report = {"client": "Смартфон-маркет", "month": "2026-11"}
    assert boris.get("/desk/report", params=report).status_code == 404
    olga = _login(desk, "Olga").get("/desk/report", params=report)
    assert olga.status_code == 200
    assert "Смартфон-маркет" in olga.text


def test_expired_and_tampered_links_are_refused(sc: Scenario, desk: httpx.Client) -> None:
    desk.cookies.clear()
    expired = sign_link(SECRET, "Olga", DEFAULT_NOW - timedelta(days=31), 30)
    assert desk.get(f"/desk/login/{expired}").status_code == 403
    good = sign_link(SECRET, "Olga", DEFAULT_NOW, 30)
    name, expiry, mac = good.split(".")
    longer = f"{name}.{int(expiry) + 86400 * 365}.{mac}"
    other = sign_link(SECRET, "Boris", DEFAULT_NOW, 30).split(".")[0]
    for bad in (longer, f"{other}.{expiry}.{mac}", f"{name}.{expiry}.{mac[:-2]}AA", "x.y.z"):
        assert verify_token(SECRET, bad, DEFAULT_NOW) is None
        assert desk.get(f"/desk/login/{bad}").status_code == 403
        desk.cookies.set("syncd_desk", bad)
        assert desk.get("/desk/").status_code == 403
        desk.cookies.clear()
    # Rotating the secret revokes a link already exchanged for a cookie.
    assert _login(desk, "Olga").get("/desk/").status_code == 200
    with served(sc, {"desk_secret": "rotated"}) as rotated:
        rotated.cookies.set("syncd_desk", good)
        assert rotated.get("/desk/").status_code == 403
    # A link for a manager no longer in the policy opens nothing.
    desk.cookies.clear()
    desk.cookies.set("syncd_desk", sign_link(SECRET, "Nobody", DEFAULT_NOW, 30))
    assert desk.get("/desk/").status_code == 403


def test_proxy_header_is_believed_only_from_a_trusted_address(sc: Scenario) -> None:
    proxy = {"desk_secret": None, "desk_proxy_header": "X-Forwarded-Email"}
    # The client connects from 127.0.0.1: trusted in the first server, not in the second.
    with served(sc, {**proxy, "desk_trusted_proxies": "127.0.0.1/32"}) as trusted:
        answer = trusted.get("/desk/", headers={"X-Forwarded-Email": "Boris@Agency.example"})
        assert answer.status_code == 200
        assert "Ads Co" in answer.text
        # A proxy on this host names the person's own address in X-Forwarded-For: the
        # peer is still the proxy, so the header is still believed.
        forwarded = trusted.get(
            "/desk/",
            headers={"X-Forwarded-Email": "boris@agency.example", "X-Forwarded-For": "203.0.113.9"},
        )
        assert forwarded.status_code == 200
        assert trusted.get("/desk/").status_code == 403  # no header, no one
        unknown = trusted.get("/desk/", headers={"X-Forwarded-Email": "eve@agency.example"})
        assert unknown.status_code == 403
        # No signed links in this mode: a valid token opens nothing.
        trusted.cookies.set("syncd_desk", sign_link(SECRET, "Olga", DEFAULT_NOW, 30))
        assert trusted.get("/desk/").status_code == 403
    with served(sc, {**proxy, "desk_trusted_proxies": "10.0.0.0/8"}) as stranger:
        spoofed = stranger.get("/desk/", headers={"X-Forwarded-Email": "boris@agency.example"})
        assert spoofed.status_code == 403
        assert "Ads Co" not in spoofed.text


def test_hostile_title_is_text(desk: httpx.Client) -> None:
    boris = _login(desk, "Boris")
    for path in ("/desk/", "/desk/timeline", "/desk/why?source=agency&key=ADS-1"):
        page = boris.get(path).text
        assert "<script>alert" not in page, path
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page, path
        assert "\u202e" not in page, path  # the override cannot reorder the page
    assert HOSTILE.startswith("<script>")


def test_timeline_checkpoint_mark_sits_at_the_rules_moment(
    sc: Scenario, desk: httpx.Client
) -> None:
    assert sc.store is not None
    olga = next(m for m in sc.policy.managers if m.name == "Olga")
    engine = Engine.from_policy(sc.policy)
    view = build_view(sc.policy, sc.store, engine, olga, DEFAULT_NOW)
    groups = timeline_bars(view)
    first, last = timeline_window(view, groups)
    task = sc.store.get_task("agency", "SHOP-2")
    assert task is not None
    moment = engine.checkpoint_moment(task)
    assert moment is not None
    bar = next(b for g in groups for b in g.bars if b.key == "SHOP-2")
    # The bar's ends: the start of the spell of work and the end of the due date; the
    # mark: the share of the window the checkpoint moment lies at.
    assert bar.start == task.work_start
    expected = LABEL + (moment - first) / (last - first) * (WIDTH - LABEL)
    page = _login(desk, "Olga").get("/desk/timeline").text
    found = re.search(r'data-key="SHOP-2">.*?<line class="cp" data-x="([0-9.]+)"', page)
    assert found is not None
    assert float(found.group(1)) == pytest.approx(expected, abs=0.01)
    # In business time the moment is 35 % of the *business* time of the bar: between its
    # start and end, and in the same place the explain output names.
    x0 = LABEL + (bar.start - first) / (last - first) * (WIDTH - LABEL)
    x1 = LABEL + (bar.end - first) / (last - first) * (WIDTH - LABEL)
    assert x0 < float(found.group(1)) < x1


def test_wall_time_mark_is_at_the_fraction_of_the_bar(tmp_path: Path) -> None:
    """Without a holiday calendar the checkpoint is 35 % of the bar's own length."""
    for sc in desk_scenario(tmp_path):
        data = sc.policy.model_dump(mode="json")
        data["sources"][0]["calendar"]["country"] = None
        sc.policy = type(sc.policy).model_validate(data)
        with served(sc) as client:
            page = _login(client, "Olga").get("/desk/timeline").text
        found = re.search(
            r'data-key="SHOP-2">.*?<rect class="bar" x="([0-9.]+)" y="[0-9.]+" '
            r'width="([0-9.]+)".*?<line class="cp" data-x="([0-9.]+)"',
            page,
        )
        assert found is not None
        x, width, mark = (float(v) for v in found.groups())
        assert (mark - x) / width == pytest.approx(0.35, abs=0.002)
