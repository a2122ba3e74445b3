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

``find_marker`` pages through every comment with ``expand=properties``. A property match
counts from any author (only the API sets properties); the text line counts only on the
bot's own comments, since anyone can type or quote it. If a server ignores
``expand=properties`` the bot's comments get their property read one by one.
"""

from __future__ import annotations

import json
from typing import Any

from connectors.base import Reminder
from connectors.jira.client import Site
from connectors.jira.errors import jira_errors
from connectors.jira.mapping import body_text
from connectors.jira.paging import all_comments
from connectors.jira.render import (
    PROPERTY_KEY,
    marker_id,
    marker_in_body,
    render_adf,
    render_wiki,
)
from connectors.jira.values import person
from syncd.errors import FatalError
from syncd.models import Person

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
            "properties": [{"key": PROPERTY_KEY, "value": {"marker": marker}}],
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

    def _property_marker(self, comment: dict[str, Any]) -> str | None:
        for prop in comment.get("properties") or ():
            if isinstance(prop, dict) and prop.get("key") == PROPERTY_KEY:
                value = prop.get("value")
                if isinstance(value, dict) and value.get("marker") is not None:
                    return str(value["marker"])
        return None

    def find_marker(self, key: str, marker: str) -> str | None:
        wanted = marker_id(marker)
        comments = all_comments(self.site, key, self.source, expand="properties")
        unexpanded: list[dict[str, Any]] = []
        found: str | None = None
        for comment in comments:
            author = person(comment.get("author"), self.site.cloud)
            mine = author is not None and author.id == self.bot.id
            carried = self._property_marker(comment)
            if mine and carried is not None:
                self.properties_kept = True  # the server kept one of our properties
            if found is None and carried == wanted:
                found = str(comment.get("id"))
            if found is None and mine:
                text = body_text(comment.get("body"), self.site.body_format)
                if marker_in_body(text) == wanted:
                    found = str(comment.get("id"))
            if mine and "properties" not in comment:
                unexpanded.append(comment)
        if found is not None:
            return found
        for comment in unexpanded:
            comment_id = str(comment.get("id"))
            try:
                with jira_errors(f"property of comment {comment_id}", self.source):
                    prop = self.site.get(f"comment/{comment_id}/properties/{PROPERTY_KEY}")
            except FatalError as exc:
                if exc.status == 404:
                    continue
                raise
            if self._property_marker({"properties": [prop]}) == wanted:
                return comment_id
        return None

    def set_labels(self, key: str, add: tuple[str, ...], remove: tuple[str, ...]) -> None:
        verbs = [{"add": label} for label in add] + [{"remove": label} for label in remove]
        if not verbs:
            return
        with jira_errors(f"labels of {key}", self.source):
            self.site.session.put(
                self.site.url(f"issue/{key}"), data=json.dumps({"update": {"labels": verbs}})
            )
