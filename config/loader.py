"""Loading the policy file with errors a person can act on.

Every problem is reported with the file, the path inside it (``sources[1].scope``), the line
when known, and what was expected; all problems are reported at once, not the first only.
Line numbers come from PyYAML's node marks, mapped to the same paths pydantic reports.
The file is read within the bounds of ``config.bounded_yaml`` (size, UTF-8, aliases,
depth): it is reloaded by a running daemon and must never be able to exhaust it.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from config.bounded_yaml import MAX_FILE_BYTES, DocumentError, load_yaml, read_text
from config.messages import plain_message
from config.policy import Policy
from syncd.core.errors import ConfigError, ConfigIssue, RuleError

__all__ = [
    "RuleParamsCheck",
    "format_loc",
    "load_policy",
    "load_policy_text",
    "policy_json_schema",
]

PathKey = tuple[str | int, ...]


def format_loc(loc: Iterable[str | int]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else part
    return out


def _line_map(
    node: yaml.Node, path: PathKey = (), seen: set[int] | None = None
) -> dict[PathKey, int]:
    """Line of every path. A node reached again through an alias is not walked again:
    paths inside it fall back to the alias's own line (``_nearest_line``)."""
    seen = set() if seen is None else seen
    lines: dict[PathKey, int] = {path: node.start_mark.line + 1}
    if id(node) in seen:
        return lines
    seen.add(id(node))
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key = key_node.value
            lines[(*path, key)] = key_node.start_mark.line + 1
            for sub, line in _line_map(value_node, (*path, key), seen).items():
                lines.setdefault(sub, line)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            lines.update(_line_map(item, (*path, index), seen))
    return lines


def _nearest_line(lines: dict[PathKey, int], loc: PathKey) -> int | None:
    for cut in range(len(loc), -1, -1):
        if loc[:cut] in lines:
            return lines[loc[:cut]]
    return None


def _clean_loc(loc: tuple[Any, ...]) -> PathKey:
    """Drop pydantic's union/function tags so the path matches the file."""
    return tuple(p for p in loc if isinstance(p, int) or not str(p).startswith("function-"))


RuleParamsCheck = Callable[[str, dict[str, Any]], None]
"""Validates one rule's parameters: raises ``RuleError`` for an unknown rule, pydantic's
``ValidationError`` for bad parameters. The rules layer has it
(``rules.registry.validate_params``); config sits below rules and never imports them, so
the application hands it in (``syncd.policy_file``)."""


def load_policy_text(
    text: str, file: str = "<policy>", *, check_rule_params: RuleParamsCheck | None = None
) -> Policy:
    """The policy in ``text``; every problem at once as a ``ConfigError`` with file, line and
    path. Rule parameters are checked only with ``check_rule_params`` (the engine checks
    them again when it is built)."""
    try:
        if len(text) > MAX_FILE_BYTES:
            raise DocumentError(f"larger than {MAX_FILE_BYTES // (1024 * 1024)} MB")
        data, node = load_yaml(text)
    except DocumentError as exc:
        raise ConfigError([ConfigIssue(file, "", exc.message, exc.line)]) from None
    if not isinstance(data, dict):
        raise ConfigError([ConfigIssue(file, "", "expected a mapping with 'sources' at the top")])
    lines = _line_map(node) if node is not None else {}

    issues: list[ConfigIssue] = []
    policy: Policy | None = None
    try:
        policy = Policy.model_validate(data)
    except ValidationError as exc:
        errors = exc.errors()
        # "sources: at least 1 item" after every item failed is noise beside the item errors.
        locs = [_clean_loc(e["loc"]) for e in errors]
        errors = [
            e
            for e, loc in zip(errors, locs, strict=True)
            if not (
                e["type"] == "too_short" and any(o[: len(loc)] == loc and o != loc for o in locs)
            )
        ]
        for err in errors:
            loc = _clean_loc(err["loc"])
            message = plain_message(err)
            if err["type"] == "literal_error" and "expected" in err.get("ctx", {}):
                message = f"expected {err['ctx']['expected']}, got {err['input']!r}"
            elif err["type"] == "extra_forbidden":
                message = "unknown key (check the spelling; `syncd config schema` lists the keys)"
            issues.append(ConfigIssue(file, format_loc(loc), message, _nearest_line(lines, loc)))
    if check_rule_params is not None:
        issues.extend(_rule_issues(data, file, lines, check_rule_params))
    if issues:
        raise ConfigError(sorted(issues, key=lambda i: (i.line or 0, i.path)))
    assert policy is not None
    return policy


def _rule_issues(
    data: dict[str, Any], file: str, lines: dict[PathKey, int], validate_params: RuleParamsCheck
) -> list[ConfigIssue]:
    """Rule parameters are validated by each rule's own parameter model."""
    issues: list[ConfigIssue] = []
    raw_rules = data.get("rules") or []
    if not isinstance(raw_rules, list):
        return issues
    for index, raw in enumerate(raw_rules):
        if not isinstance(raw, dict) or not isinstance(raw.get("rule"), str):
            continue
        params = raw.get("params") or {}
        base: PathKey = ("rules", index)
        try:
            validate_params(raw["rule"], params if isinstance(params, dict) else {})
        except RuleError as exc:
            loc = (*base, "rule")
            issues.append(ConfigIssue(file, format_loc(loc), str(exc), _nearest_line(lines, loc)))
        except ValidationError as exc:
            for err in exc.errors():
                loc = (*base, "params", *_clean_loc(err["loc"]))
                msg = plain_message(err)
                if err["type"] == "extra_forbidden":
                    msg = "unknown parameter for this rule"
                issues.append(ConfigIssue(file, format_loc(loc), msg, _nearest_line(lines, loc)))
    return issues


def load_policy(path: str | Path, *, check_rule_params: RuleParamsCheck | None = None) -> Policy:
    path = Path(path)
    try:
        text = read_text(path, what="policy file")
    except DocumentError as exc:
        raise ConfigError([ConfigIssue(str(path), "", exc.message, exc.line)]) from None
    return load_policy_text(text, str(path), check_rule_params=check_rule_params)


def policy_json_schema() -> str:
    schema = Policy.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "syncd policy"
    return json.dumps(schema, indent=2, ensure_ascii=False)
