"""The write path: reminder comments carrying syncd's marker, finding them again, labels.

The marker travels **atomically** with the comment: ``POST /issue/{key}/comment`` with
``properties: [{"key": "syncd", "value": {"marker": …}}]`` (the library's ``add_comment``
cannot send properties, so we post the JSON ourselves through the library's session).
A POST is never retried: if its answer is lost, the caller runs ``find_marker`` before
posting again.

Fallback, for a server that accepts the POST but drops ``properties``: until this writer
*knows* the server keeps them, every post also carries a last line ``syncd:<marker>`` in
small grey text, so the marker is in the comment from its very first byte — a crash right
after any post leaves a comment ``find_marker`` recognises, never a markerless one. The
first post then checks its property (``GET /comment/{id}/properties/syncd``, once per
writer); ``find_marker`` also learns it for free when it sees one of the bot's comments
carrying the property. Once known kept, posts carry the property only.

``posted_reminders`` pages through every comment with ``expand=properties`` and reads the
tag of each syncd comment (``connectors.markers``: marker and the findings it names). A
property counts from any author (only the API sets properties); the text line counts only
on the bot's own comments, since anyone can type or quote it. If a server ignores
``expand=properties`` the bot's comments without a text line get their property read one
by one. ``find_marker`` is one exact marker among them.
"""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

from connectors.jira.client import Site
from connectors.jira.errors import jira_errors
from connectors.jira.mapping import body_text
from connectors.jira.paging import all_comments
from connectors.jira.render import PROPERTY_KEY, marker_id, render_adf, render_wiki
from connectors.jira.values import person
from connectors.markers import (
    PostedReminder,
    comment_carrying,
    from_property,
    parse_tags,
    property_value,
)
from syncd.core.errors import FatalError
from syncd.core.models import Person, Reminder

__all__ = ["PROPERTY_KEY", "Writer"]


class Writer:
    def __init__(self, site: Site, source: str, bot: Person) -> None:
        self.site = site
        self.source = source
        self.bot = bot
        self.properties_kept: bool | None = None
        """None until a post or ``find_marker`` shows whether the server keeps comment
        properties; the text marker is written until it is known True."""

    def _body(self, reminder: Reminder, marker_in_text: bool) -> Any:
        if self.site.body_format == "adf":
            return render_adf(reminder, marker_in_text=marker_in_text)
        return render_wiki(reminder, cloud=self.site.cloud, marker_in_text=marker_in_text)

    def post(self, key: str, reminder: Reminder) -> str:
        marker = marker_id(reminder.marker)
        payload = {
            "body": self._body(reminder, self.properties_kept is not True),
            "properties": [
                {
                    "key": PROPERTY_KEY,
                    "value": property_value(marker, reminder.covers, reminder.generation),
                }
            ],
        }
        with jira_errors(f"add comment to {key}", self.source):
            response = self.site.session.post(
                self.site.url(f"issue/{key}/comment"), data=json.dumps(payload)
            )
            created = response.json()
        comment_id = str(created.get("id", ""))
        if not comment_id:
            raise FatalError(f"Jira add comment to {key}: answer without an id", source=self.source)
        if self.properties_kept is None:
            self.properties_kept = self._has_property(comment_id)
        return comment_id

    def _has_property(self, comment_id: str) -> bool:
        try:
            with jira_errors(f"property of comment {comment_id}", self.source):
                self.site.get(f"comment/{comment_id}/properties/{PROPERTY_KEY}")
        except FatalError as exc:
            if exc.status == 404:
                return False
            raise
        return True

    def _property(self, comment: dict[str, Any]) -> PostedReminder | None:
        for prop in comment.get("properties") or ():
            if isinstance(prop, dict) and prop.get("key") == PROPERTY_KEY:
                value = prop.get("value")
                if isinstance(value, dict):
                    return from_property(value, str(comment.get("id")))
        return None

    def posted_reminders(self, key: str) -> list[PostedReminder]:
        comments = all_comments(self.site, key, self.source, expand="properties")
        found: list[PostedReminder] = []
        unexpanded: list[str] = []
        for comment in comments:
            author = person(comment.get("author"), self.site.cloud)
            mine = author is not None and author.id == self.bot.id
            carried = self._property(comment)
            if carried is not None:
                if mine:
                    self.properties_kept = True  # the server kept one of our properties
                found.append(carried)
                continue
            if not mine:
                continue
            tags = parse_tags(body_text(comment.get("body"), self.site.body_format), "")
            if tags:
                found.extend(replace(t, comment_id=str(comment.get("id"))) for t in tags)
            elif "properties" not in comment:
                unexpanded.append(str(comment.get("id")))
        for comment_id in unexpanded:  # a server that ignores expand=properties
            try:
                with jira_errors(f"property of comment {comment_id}", self.source):
                    prop = self.site.get(f"comment/{comment_id}/properties/{PROPERTY_KEY}")
            except FatalError as exc:
                if exc.status == 404:
                    continue
                raise
            carried = self._property({"id": comment_id, "properties": [prop]})
            if carried is not None:
                found.append(carried)
        return found

    def find_marker(self, key: str, marker: str) -> str | None:
        return comment_carrying(self.posted_reminders(key), marker_id(marker))

    def set_labels(self, key: str, add: tuple[str, ...], remove: tuple[str, ...]) -> None:
        verbs = [{"add": label} for label in add] + [{"remove": label} for label in remove]
        if not verbs:
            return
        with jira_errors(f"labels of {key}", self.source):
            self.site.session.put(
                self.site.url(f"issue/{key}"), data=json.dumps({"update": {"labels": verbs}})
            )
