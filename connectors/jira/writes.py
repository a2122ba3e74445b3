"""The write path: reminder comments carrying syncd's marker, finding them again, labels.

The marker travels **atomically** with the comment: ``POST /issue/{key}/comment`` with
``properties: [{"key": "syncd", "value": {"marker": …}}]`` (the library's ``add_comment``
cannot send properties, so we post the JSON ourselves through the library's session).
A POST is never retried: if its answer is lost, the caller runs ``find_marker`` before
posting again.

Fallback, for a server that accepts the POST but drops ``properties``: the first post of a
connector checks that the property exists (``GET /comment/{id}/properties/syncd``, one
request per connector lifetime). If it does not, that comment is edited once (PUT,
idempotent) to end with a small grey ``syncd:<marker>`` line, and every later post carries
that line from the start, so the marker is still atomic with the comment.

``find_marker`` pages through every comment with ``expand=properties`` and also matches the
text fallback. If a server ignores ``expand=properties`` the bot's own comments get their
property read one by one (only those; nobody else writes syncd's property).
"""

from __future__ import annotations

import json
from typing import Any

from connectors.base import MARKER_PREFIX, Reminder
from connectors.jira.client import Site
from connectors.jira.errors import jira_errors
from connectors.jira.mapping import body_text
from connectors.jira.paging import all_comments
from connectors.jira.render import marker_in_body, render_adf, render_wiki
from connectors.jira.values import person
from syncd.errors import FatalError
from syncd.models import Person

__all__ = ["PROPERTY_KEY", "Writer"]

PROPERTY_KEY = "syncd"


def bare_marker(marker: str) -> str:
    return marker[len(MARKER_PREFIX) :] if marker.startswith(MARKER_PREFIX) else marker


class Writer:
    def __init__(self, site: Site, source: str, bot: Person) -> None:
        self.site = site
        self.source = source
        self.bot = bot
        self.properties_kept: bool | None = None
        """None until the first post tells us whether the server keeps comment properties."""

    def _body(self, reminder: Reminder, marker_in_text: bool) -> Any:
        if self.site.body_format == "adf":
            return render_adf(reminder, marker_in_text=marker_in_text)
        return render_wiki(reminder, cloud=self.site.cloud, marker_in_text=marker_in_text)

    def post(self, key: str, reminder: Reminder) -> str:
        marker = bare_marker(reminder.marker)
        text_fallback = self.properties_kept is False
        payload = {
            "body": self._body(reminder, text_fallback),
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
            if not self.properties_kept:
                with jira_errors(f"edit comment {comment_id} on {key}", self.source):
                    self.site.session.put(
                        self.site.url(f"issue/{key}/comment/{comment_id}"),
                        data=json.dumps({"body": self._body(reminder, True)}),
                    )
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
        wanted = bare_marker(marker)
        comments = all_comments(self.site, key, self.source, expand="properties")
        unexpanded: list[dict[str, Any]] = []
        for comment in comments:
            if self._property_marker(comment) == wanted:
                return str(comment.get("id"))
            text = body_text(comment.get("body"), self.site.body_format)
            if marker_in_body(text) == wanted:
                return str(comment.get("id"))
            author = person(comment.get("author"), self.site.cloud)
            if "properties" not in comment and author is not None and author.id == self.bot.id:
                unexpanded.append(comment)
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
