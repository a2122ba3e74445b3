"""A small Dockerfile reader for the container tests: instructions per stage, with line
continuations joined and comments dropped, and ``ARG``s declared before the first ``FROM``
substituted into ``FROM`` with their defaults (enough for syncd's own Dockerfile)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["Instruction", "Stage", "read_stages"]


@dataclass
class Instruction:
    op: str
    args: str

    def exec_form(self) -> list[str]:
        value = json.loads(self.args)
        assert isinstance(value, list), f"{self.op} is not in exec (JSON) form: {self.args}"
        return [str(v) for v in value]


@dataclass
class Stage:
    base: str
    name: str | None
    instructions: list[Instruction] = field(default_factory=list)

    def all(self, op: str) -> list[Instruction]:
        return [i for i in self.instructions if i.op == op]

    def last(self, op: str) -> Instruction:
        found = self.all(op)
        assert found, f"stage {self.name or self.base} has no {op}"
        return found[-1]


def read_stages(path: Path) -> list[Stage]:
    logical: list[str] = []
    pending = ""
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not pending and (not line or line.startswith("#")):
            continue
        if line.startswith("#"):
            continue
        if line.endswith("\\"):
            pending += line[:-1].strip() + " "
            continue
        logical.append(pending + line)
        pending = ""
    stages: list[Stage] = []
    defaults: dict[str, str] = {}
    for line in logical:
        op, _, args = line.partition(" ")
        op = op.upper()
        if op == "ARG" and not stages:
            name, _, value = args.strip().partition("=")
            defaults[name] = value.strip('"')
        elif op == "FROM":
            args = re.sub(r"\$\{?(\w+)\}?", lambda m: defaults.get(m[1], m[0]), args)
            parts = args.split()
            name = parts[2] if len(parts) > 2 and parts[1].upper() == "AS" else None
            stages.append(Stage(parts[0], name))
        else:
            assert stages, f"{op} before FROM"
            stages[-1].instructions.append(Instruction(op, args.strip()))
    return stages
