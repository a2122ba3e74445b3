"""The Jira write path over real HTTP: the marker is in every comment from its first byte
(also on servers that drop comment properties), it is normalised once, and only the bot's
own comments count when looking for it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from connectors.jira import JiraConnector
from connectors.sandbox.common.faults import Fault
from connectors.sandbox.common.seed import Seed
from connectors.sandbox.server import SandboxServer
from syncd.core.errors import RetriableError
from syncd.core.models import Reminder, ReminderItem
from tests.connectors.conftest import sandbox_act

Start = Callable[..., tuple[SandboxServer, Seed]]
Connect = Callable[..., JiraConnector]
KEY = "SHOP-2"

pytestmark = pytest.mark.parametrize("flavour", ["cloud", "dc"])


def reminder(marker: str) -> Reminder:
    return Reminder(marker=marker, intro="Please add a goal.", items=(ReminderItem("No goal"),))


def bot_comments(server: SandboxServer, seed: Seed) -> list[tuple[str, str, dict[str, Any]]]:
    """(id, text, properties) of the bot's comments on ``KEY``, as the sandbox stores them."""
    bot = seed.bot()
    assert bot is not None
    issue = server.app.state.jira.store.issue(KEY)  # type: ignore[attr-defined]
    return [
        (str(c.id), c.body.as_markdown() + c.body.as_wiki(), dict(c.properties))
        for c in issue.comments
        if c.author == bot.id
    ]


def test_properties_dropped_a_crash_right_after_the_first_post_leaves_a_findable_comment(
    flavour: str, jira_sandbox: Start, jira_connector: Connect
) -> None:
    server, seed = jira_sandbox(flavour, drop_comment_properties=True)
    first = jira_connector(server, seed, flavour)
    server.faults.add(Fault(kind="lost_response", method="POST", path=r"/comment$"))
    with pytest.raises(RetriableError):  # the comment is written, the answer lost: a crash
        first.post_reminder(KEY, reminder("SHOP-2:goal"))
    [(comment_id, text, props)] = bot_comments(server, seed)
    assert props == {}
    assert "syncd:SHOP-2:goal" in text
    # The restarted daemon looks for the marker before posting again: found, no duplicate.
    restarted = jira_connector(server, seed, flavour)
    assert restarted.find_marker(KEY, "SHOP-2:goal") == comment_id
    # Later posts keep the text marker: the server is now known to drop properties.
    second_id = restarted.post_reminder(KEY, reminder("SHOP-2:due"))
    third_id = restarted.post_reminder(KEY, reminder("SHOP-2:assignee"))
    assert restarted.writer().properties_kept is False
    texts = {cid: text for cid, text, _ in bot_comments(server, seed)}
    assert "syncd:SHOP-2:due" in texts[second_id]
    assert "syncd:SHOP-2:assignee" in texts[third_id]
    assert restarted.find_marker(KEY, "SHOP-2:assignee") == third_id
    assert len(texts) == 3


def test_properties_kept_text_marker_only_until_known(
    flavour: str, jira_sandbox: Start, jira_connector: Connect
) -> None:
    server, seed = jira_sandbox(flavour)
    connector = jira_connector(server, seed, flavour)
    first_id = connector.post_reminder(KEY, reminder("SHOP-2:goal"))
    assert connector.writer().properties_kept is True
    second_id = connector.post_reminder(KEY, reminder("SHOP-2:due"))
    stored = {cid: (text, props) for cid, text, props in bot_comments(server, seed)}
    assert "syncd:SHOP-2:goal" in stored[first_id][0]  # not yet known: belt and braces
    assert "syncd:" not in stored[second_id][0]
    assert stored[second_id][1] == {"syncd": {"marker": "SHOP-2:due"}}
    assert connector.find_marker(KEY, "SHOP-2:due") == second_id
    # A fresh connector learns it from find_marker (the bot's comment has the property).
    fresh = jira_connector(server, seed, flavour)
    assert fresh.find_marker(KEY, "SHOP-2:other") is None
    assert fresh.writer().properties_kept is True
    third_id = fresh.post_reminder(KEY, reminder("SHOP-2:other"))
    text = {cid: t for cid, t, _ in bot_comments(server, seed)}[third_id]
    assert "syncd:" not in text


def test_marker_prefix_is_normalised_once(
    flavour: str, jira_sandbox: Start, jira_connector: Connect
) -> None:
    server, seed = jira_sandbox(flavour, drop_comment_properties=True)
    connector = jira_connector(server, seed, flavour)
    comment_id = connector.post_reminder(KEY, reminder("syncd:SHOP-2:prefixed"))
    [(_, text, _)] = bot_comments(server, seed)
    assert "syncd:syncd:" not in text
    assert "syncd:SHOP-2:prefixed" in text
    assert connector.find_marker(KEY, "SHOP-2:prefixed") == comment_id
    assert connector.find_marker(KEY, "syncd:SHOP-2:prefixed") == comment_id


def test_marker_text_in_a_persons_comment_is_not_the_bots(
    flavour: str, jira_sandbox: Start, jira_connector: Connect
) -> None:
    server, seed = jira_sandbox(flavour)
    connector = jira_connector(server, seed, flavour)
    human = next(u for u in seed.users if not u.bot and u.token)
    sandbox_act(
        server,
        {
            "action": "comment",
            "task": KEY,
            "author": human.id,
            "body": "Checkpoint: done, see syncd:SHOP-2:goal",
        },
    )
    assert connector.find_marker(KEY, "SHOP-2:goal") is None
    task = connector.fetch_task(KEY)
    assert task is not None
    assert [c.is_bot for c in task.comments if "syncd:" in c.body] == [False]


def test_a_restart_remembers_through_the_cursor_that_properties_are_kept(
    flavour: str, jira_sandbox: Start, jira_connector: Connect
) -> None:
    server, seed = jira_sandbox(flavour)
    first = jira_connector(server, seed, flavour)
    cursor = None
    for page in first.sync(cursor):
        cursor = page.cursor
    first.post_reminder(KEY, reminder("SHOP-2:goal"))  # learns that properties are kept
    for page in first.sync(cursor):
        cursor = page.cursor
    assert cursor is not None
    assert cursor.get("properties_kept") is True
    restarted = jira_connector(server, seed, flavour)
    for page in restarted.sync(cursor):
        cursor = page.cursor
    restarted.post_reminder(KEY, reminder("SHOP-2:due"))
    texts = {text for _id, text, props in bot_comments(server, seed) if props}
    assert len(texts) == 2
    assert any("syncd:SHOP-2:goal" in text for text in texts)  # before it knew: visible
    assert not any("syncd:SHOP-2:due" in text for text in texts)  # after a restart: not
