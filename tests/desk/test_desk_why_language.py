"""The desk's "why" page words syncd's reasons in the manager's language (the CLI keeps
English): every reason ``syncd explain`` gives for a task appears on a Russian manager's
page in Russian and not in English, and on an English manager's page in English."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from markupsafe import escape

from rules.briefs import Lang
from syncd.desk.access import sign_link
from syncd.explain import Explanation, explain_task
from tests.desk.scene import SECRET, desk_scenario, served
from tests.e2e.scenario import DEFAULT_NOW, Scenario


@pytest.fixture
def sc(tmp_path: Path) -> Iterator[Scenario]:
    yield from desk_scenario(tmp_path)


def reasons(ex: Explanation) -> list[str]:
    """Every sentence of syncd's own in an explanation (not the names and times it quotes)."""
    cp = ex.checkpoint
    return [
        *(s.why for s in ex.sections),
        cp.start_from,
        cp.reason,
        *(c.why for c in cp.comments),
        *(a.what for a in ex.stale.timeline),
        *(f.reminder for f in ex.findings),
    ]


def why(client: httpx.Client, manager: str, key: str) -> str:
    client.cookies.clear()
    client.get("/desk/login/" + sign_link(SECRET, manager, DEFAULT_NOW, 30))
    answer = client.get("/desk/why", params={"source": "agency", "key": key})
    assert answer.status_code == 200
    return answer.text


def explained(sc: Scenario, key: str, language: Lang) -> list[str]:
    assert sc.store is not None
    return reasons(explain_task(sc.policy, sc.store, "agency", key, DEFAULT_NOW, language=language))


def test_a_russian_desk_explains_in_russian_and_an_english_one_in_english(sc: Scenario) -> None:
    with served(sc) as client:
        olga = {key: why(client, "Olga", key) for key in ("SHOP-1", "SHOP-2")}
        boris = why(client, "Boris", "ADS-1")
    for key, page in olga.items():
        russian, english = explained(sc, key, "ru"), explained(sc, key, "en")
        assert len(russian) >= 4  # sections, the checkpoint, the activity at least
        for ru, en in zip(russian, english, strict=True):
            assert ru != en  # every reason has its own Russian wording
            assert str(escape(ru)) in page
            # A single word ("comment") may well be in a finding's message; a sentence of
            # syncd's would not.
            assert " " not in en or str(escape(en)) not in page
        assert all(word in page for word in ("Почему: ", "доля", "вывод", "конец срока"))
    for en in explained(sc, "ADS-1", "en"):
        assert str(escape(en)) in boris
    assert all(word in boris for word in ("Why: ", "fraction", "verdict", "due end"))


def test_the_cli_explanation_stays_english(sc: Scenario) -> None:
    assert sc.store is not None
    default = explain_task(sc.policy, sc.store, "agency", "SHOP-1", DEFAULT_NOW)
    assert reasons(default) == explained(sc, "SHOP-1", "en")
    assert default.checkpoint.start_from in {
        "start of work (first move to in progress)",
        "task created",
        "the due date was set or moved (later than the start of work)",
    }
