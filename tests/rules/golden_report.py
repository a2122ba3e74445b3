"""``make rules-report``: precision and recall of the rules over the golden corpus.

A positive is a reminder: ``required-sections`` flagging a description (as a whole and per
section), ``checkpoint`` finding no checkpoint comment. Precision is the share of syncd's
reminders a careful account manager would also have written (a false reminder lowers it);
recall is the share of the manager's reminders syncd writes. Run as
``python -m tests.rules.golden_report``; exits 1 when any case disagrees with the manifest.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from tests.rules.golden_corpus import Case, actual_verdict, load_cases

Verdict = dict[str, bool]


@dataclass
class Tally:
    tp: int = 0
    fp: int = 0
    fn: int = 0
    tn: int = 0

    def add(self, expected: bool, actual: bool) -> None:
        if actual and expected:
            self.tp += 1
        elif actual:
            self.fp += 1
        elif expected:
            self.fn += 1
        else:
            self.tn += 1

    @staticmethod
    def _ratio(hit: int, total: int) -> str:
        return f"{hit / total:.3f}" if total else "n/a"

    def row(self, name: str) -> str:
        precision = self._ratio(self.tp, self.tp + self.fp)
        recall = self._ratio(self.tp, self.tp + self.fn)
        cases = self.tp + self.fp + self.fn + self.tn
        return (
            f"{name:<36} {cases:>5} {self.tp:>4} {self.fp:>4} {self.fn:>4} {self.tn:>4}"
            f" {precision:>9} {recall:>7}"
        )


def _flagged(verdict: Verdict) -> bool:
    """A reminder: a required section missing or empty, or no checkpoint comment."""
    return not all(verdict.values())


def tally(cases: Iterable[tuple[Case, Verdict]], positive: Callable[[Verdict], bool]) -> Tally:
    result = Tally()
    for case, actual in cases:
        result.add(positive(case.expect), positive(actual))
    return result


def main() -> int:
    cases = load_cases()
    plain = [(c, actual_verdict(c)) for c in cases]
    descriptions = [(c, v) for c, v in plain if c.kind == "descriptions"]
    comments = [(c, v) for c, v in plain if c.kind == "comments"]
    aliased = [(c, actual_verdict(c, aliases=True)) for c, _ in descriptions]
    rows = [
        ("required-sections", tally(descriptions, _flagged)),
        ("required-sections: goal", tally(descriptions, lambda v: not v["goal"])),
        ("required-sections: acceptance", tally(descriptions, lambda v: not v["acceptance"])),
        ("required-sections, unrelated alias", tally(aliased, _flagged)),
        ("checkpoint", tally(comments, _flagged)),
    ]
    forms = ", ".join(
        f"{fmt} {sum(1 for c in cases if c.fmt == fmt)}" for fmt in ("markdown", "wiki", "adf")
    )
    print(f"golden corpus: {len(descriptions)} descriptions, {len(comments)} comments ({forms})")
    print("positive = a reminder syncd posts; tp/fp/fn/tn against the manifest\n")
    print(
        f"{'rule':<36} {'cases':>5} {'tp':>4} {'fp':>4} {'fn':>4} {'tn':>4} {'precision':>9}"
        f" {'recall':>7}"
    )
    for name, counts in rows:
        print(counts.row(name))
    wrong = [(c, v) for c, v in [*plain, *aliased] if v != c.expect]
    for case, actual in wrong:
        print(
            f"MISMATCH {case.kind}/{case.file}: expected {case.expect}, got {actual}"
            f" — {case.reason}"
        )
    return 1 if wrong else 0


if __name__ == "__main__":
    sys.exit(main())
