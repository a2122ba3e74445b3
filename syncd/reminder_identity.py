"""Which findings of a planned reminder are already on the tracker, whoever posted them.

The ledger's marker proves that *this* installation, under *this* source name, posted a
reminder. A rename of the source, a second syncd on the same tracker with a fresh state or
a restored old backup plans the same reminder under a marker the tracker has never seen;
what stays the same is the task, each finding's rule and fingerprint, and how often the
finding had been reminded about (the generation). ``covered`` compares those.

Comments written before reminders named their findings (``connectors.markers``: the old
tag carries only the marker, a hash over the source name) are resolved in two ways: the
ledger may know the marker (a rename or a restored backup keeps the old rows, with the
findings each covered), or the marker is recomputed for this source's name (a fresh state
under the same name). An old comment under a name the ledger never knew cannot be told
apart from any other and does not count.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from connectors.markers import PostedReminder
from syncd.reminders import Plan, marker_for
from syncd.store import ActionRow

__all__ = ["MAX_OLD_GENERATION", "covered"]

MAX_OLD_GENERATION = 64
"""Generations tried when recomputing an old marker (a finding reminded about this often
is not plausible; beyond it an old comment simply does not count)."""

Cover = tuple[str, str]


def _old_generation(source: str, task_key: str, covers: Sequence[Cover], marker: str) -> int | None:
    for generation in range(MAX_OLD_GENERATION):
        if marker_for(source, task_key, covers, generation) == marker:
            return generation
    return None


def _resolve(
    posted: PostedReminder,
    plan: Plan,
    source: str,
    ledger: Callable[[str], ActionRow | None],
) -> tuple[int, Sequence[Cover]] | None:
    """(generation, findings) of one posted reminder, or None if it cannot be told."""
    if posted.covers is not None:
        return posted.generation or 0, posted.covers
    action = ledger(posted.marker)
    if action is not None and action.task_key == plan.task_key and action.kind == "comment":
        covers = [(str(r), str(f)) for r, f in action.payload.get("covers", ())]
        generation = _old_generation(action.source, plan.task_key, covers, posted.marker)
        return None if generation is None else (generation, covers)
    generation = _old_generation(source, plan.task_key, plan.covers, posted.marker)
    return None if generation is None else (generation, plan.covers)


def covered(
    plan: Plan,
    posted: Sequence[PostedReminder],
    *,
    source: str,
    ledger: Callable[[str], ActionRow | None],
) -> dict[Cover, str]:
    """The plan's findings already reminded about on the tracker at the plan's generation
    or later, each with the id of the comment naming it."""
    wanted = set(plan.covers)
    found: dict[Cover, str] = {}
    for item in posted:
        if not wanted - found.keys():
            break
        resolved = _resolve(item, plan, source, ledger)
        if resolved is None or resolved[0] < plan.reminder.generation:
            continue
        for cover in resolved[1]:
            if cover in wanted:
                found.setdefault(cover, item.comment_id)
    return found
