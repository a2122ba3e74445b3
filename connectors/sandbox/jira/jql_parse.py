"""Parsing the JQL subset of the sandbox Jira into a small syntax tree.

Grammar: ``[expr] [ORDER BY field [ASC|DESC], …]`` where ``expr`` joins clauses with
AND/OR/NOT and parentheses, and a clause is ``field op value``, ``field [NOT] IN (…)``,
``field IS [NOT] EMPTY``; values are words, quoted strings or functions. Syntax errors use
Jira's wording ("Error in the JQL Query: Expecting … (line 1, character N)"). Meaning —
which fields and values exist — is checked when the query is compiled (``jira_jql``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["BoolOp", "Clause", "JqlError", "Node", "Query", "Value", "parse_jql"]


class JqlError(ValueError):
    """Answered as 400 ``{"errorMessages": [message], "errors": {}}``."""


_TOKEN = re.compile(
    r"""\s*(?:(?P<str>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')|(?P<op>!=|>=|<=|!~|~|=|>|<)|(?P<punct>[(),])|(?P<word>[^\s"'(),=!<>~]+))"""
)
_KEYWORDS = {"AND", "OR", "NOT", "IN", "IS", "EMPTY", "NULL", "ORDER", "BY", "ASC", "DESC"}
_OPERATORS = "'=', '!=', '<', '>', '<=', '>=', '~', '!~', 'IN', 'NOT IN', 'IS' and 'IS NOT'"


@dataclass(frozen=True)
class Token:
    kind: str  # str, op, punct, word, end
    text: str
    pos: int

    @property
    def upper(self) -> str:
        return self.text.upper() if self.kind == "word" else ""


@dataclass(frozen=True)
class Value:
    text: str
    function: bool = False
    args: tuple[str, ...] = ()
    empty: bool = False


@dataclass(frozen=True)
class Clause:
    field: str
    op: str  # = != > >= < <= ~ !~ in notin is isnot
    values: tuple[Value, ...]


@dataclass(frozen=True)
class BoolOp:
    op: str  # and, or, not
    parts: tuple[Node, ...]


Node = Clause | BoolOp


@dataclass(frozen=True)
class Query:
    where: Node | None
    order: tuple[tuple[str, bool], ...]
    """(field, descending)."""


def _tokens(text: str) -> list[Token]:
    out: list[Token] = []
    pos = 0
    while pos < len(text):
        if text[pos:].strip() == "":
            break
        m = _TOKEN.match(text, pos)
        if m is None or m.end() == pos:
            raise JqlError(
                "Error in the JQL Query: The character "
                f"'{text[pos]}' is a reserved JQL character. (line 1, character {pos + 1})"
            )
        kind = m.lastgroup or "word"
        raw = m.group(kind)
        if kind == "str":
            raw = re.sub(r"\\(.)", r"\1", raw[1:-1])
        out.append(Token(kind, raw, m.start(kind)))
        pos = m.end()
    out.append(Token("end", "", len(text)))
    return out


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.toks = _tokens(text)
        self.i = 0

    def peek(self) -> Token:
        return self.toks[self.i]

    def next(self) -> Token:
        tok = self.toks[self.i]
        self.i += 1
        return tok

    def fail(self, expected: str, tok: Token) -> JqlError:
        got = "end of query" if tok.kind == "end" else f"'{tok.text}'"
        return JqlError(
            f"Error in the JQL Query: Expecting {expected} but got {got}. "
            f"(line 1, character {tok.pos + 1})"
        )

    def query(self) -> Query:
        where: Node | None = None
        if self.peek().upper != "ORDER" and self.peek().kind != "end":
            where = self.or_expr()
        order: list[tuple[str, bool]] = []
        if self.peek().upper == "ORDER":
            self.next()
            if self.next().upper != "BY":
                raise self.fail("'BY'", self.toks[self.i - 1])
            while True:
                tok = self.next()
                if tok.kind not in ("word", "str") or tok.upper in _KEYWORDS:
                    raise self.fail("a field name", tok)
                desc = False
                if self.peek().upper in ("ASC", "DESC"):
                    desc = self.next().upper == "DESC"
                order.append((tok.text, desc))
                if self.peek().text != ",":
                    break
                self.next()
        if self.peek().kind != "end":
            raise self.fail("either 'OR' or 'AND'", self.peek())
        return Query(where, tuple(order))

    def or_expr(self) -> Node:
        parts = [self.and_expr()]
        while self.peek().upper == "OR":
            self.next()
            parts.append(self.and_expr())
        return parts[0] if len(parts) == 1 else BoolOp("or", tuple(parts))

    def and_expr(self) -> Node:
        parts = [self.not_expr()]
        while self.peek().upper == "AND":
            self.next()
            parts.append(self.not_expr())
        return parts[0] if len(parts) == 1 else BoolOp("and", tuple(parts))

    def not_expr(self) -> Node:
        tok = self.peek()
        if tok.upper == "NOT":
            self.next()
            return BoolOp("not", (self.not_expr(),))
        if tok.text == "(" and tok.kind == "punct":
            self.next()
            inner = self.or_expr()
            if self.next().text != ")":
                raise self.fail("')'", self.toks[self.i - 1])
            return inner
        return self.clause()

    def clause(self) -> Clause:
        tok = self.next()
        if tok.kind not in ("word", "str") or (tok.kind == "word" and tok.upper in _KEYWORDS):
            raise self.fail("a field name", tok)
        name = tok.text
        op_tok = self.next()
        if op_tok.kind == "op":
            return Clause(name, op_tok.text, (self.value(),))
        word = op_tok.upper
        if word == "IN":
            return Clause(name, "in", self.value_list())
        if word == "NOT" and self.peek().upper == "IN":
            self.next()
            return Clause(name, "notin", self.value_list())
        if word == "IS":
            negate = self.peek().upper == "NOT"
            if negate:
                self.next()
            target = self.next()
            if target.upper not in ("EMPTY", "NULL"):
                raise self.fail("'EMPTY' or 'NULL'", target)
            return Clause(name, "isnot" if negate else "is", (Value("", empty=True),))
        raise JqlError(
            f"Error in the JQL Query: Expecting operator but got '{op_tok.text}'. "
            f"The valid operators are {_OPERATORS}. (line 1, character {op_tok.pos + 1})"
        )

    def value(self) -> Value:
        tok = self.next()
        if tok.kind == "str":
            return Value(tok.text)
        if tok.kind != "word" or tok.upper in _KEYWORDS - {"EMPTY", "NULL"}:
            raise self.fail("either a value, list or function", tok)
        if tok.upper in ("EMPTY", "NULL"):
            return Value("", empty=True)
        if self.peek().text == "(" and self.peek().kind == "punct":
            self.next()
            args: list[str] = []
            while self.peek().text != ")":
                arg = self.next()
                if arg.kind not in ("word", "str"):
                    raise self.fail("a function argument", arg)
                args.append(arg.text)
                if self.peek().text == ",":
                    self.next()
            self.next()
            return Value(tok.text, function=True, args=tuple(args))
        return Value(tok.text)

    def value_list(self) -> tuple[Value, ...]:
        if self.peek().kind == "word" and self.toks[self.i + 1].text == "(":
            return (self.value(),)  # IN membersOf(...) and friends
        if self.next().text != "(":
            raise self.fail("'('", self.toks[self.i - 1])
        values = [self.value()]
        while self.peek().text == ",":
            self.next()
            values.append(self.value())
        if self.next().text != ")":
            raise self.fail("')'", self.toks[self.i - 1])
        return tuple(values)


def parse_jql(text: str) -> Query:
    return _Parser(text).query()
