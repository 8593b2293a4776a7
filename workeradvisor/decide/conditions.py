"""A tiny condition language for ``rules/decision.yaml``: parsed, never ``eval``-ed.

Grammar (``name`` is a metric, a threshold or a definition; numbers are decimal)::

    expr       := or_expr
    or_expr    := and_expr ("or" and_expr)*
    and_expr   := not_expr ("and" not_expr)*
    not_expr   := "not" not_expr | atom
    atom       := "(" expr ")" | operand [cmp operand]
    operand    := NUMBER | NAME | "true" | "false"
    cmp        := "<" | "<=" | ">" | ">=" | "==" | "!="

A comparison that reads an unmeasured metric (``None``) is false; a bare name is true when its
value is known and non-zero. Anything else (calls, attributes, strings) fails to parse.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

_TOKEN_RE = re.compile(r"\s*(?:(\d+(?:\.\d*)?|\.\d+)|([A-Za-z_][A-Za-z0-9_]*)|(<=|>=|==|!=|<|>)|([()]))")
_KEYWORDS = {"and", "or", "not", "true", "false"}
_CMP: dict[str, Callable[[float, float], bool]] = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
    "==": operator.eq,
    "!=": operator.ne,
}

Value = float | None
Lookup = Mapping[str, Value]


class ConditionError(ValueError):
    """A condition that does not parse or names something unknown."""


@dataclass(frozen=True)
class Token:
    kind: str  # "num" | "name" | "kw" | "op" | "paren"
    text: str


def tokenize(text: str) -> list[Token]:
    tokens: list[Token] = []
    pos = 0
    stripped_end = len(text.rstrip())
    while pos < stripped_end:
        m = _TOKEN_RE.match(text, pos)
        if not m or m.end() == pos:
            raise ConditionError(f"unexpected character {text[pos:].lstrip()[:1]!r} at column {pos + 1}")
        num, name, op, paren = m.groups()
        if num is not None:
            tokens.append(Token("num", num))
        elif name is not None:
            tokens.append(Token("kw" if name in _KEYWORDS else "name", name))
        elif op is not None:
            tokens.append(Token("op", op))
        else:
            tokens.append(Token("paren", paren))
        pos = m.end()
    return tokens


class Node:
    """A parsed condition; ``names`` are the identifiers it reads, for validation and evidence."""

    names: tuple[str, ...] = ()

    def eval(self, env: Lookup) -> bool:  # pragma: no cover - abstract
        raise NotImplementedError


@dataclass(frozen=True)
class Operand:
    kind: str  # "num" | "name" | "bool"
    value: float | str

    def get(self, env: Lookup) -> Value:
        if self.kind == "name":
            return env[str(self.value)]
        return float(self.value)


@dataclass(frozen=True)
class Compare(Node):
    left: Operand
    op: str
    right: Operand | None  # None: a bare operand used as a boolean

    @property
    def names(self) -> tuple[str, ...]:  # type: ignore[override]
        return tuple(str(o.value) for o in (self.left, self.right) if o is not None and o.kind == "name")

    def eval(self, env: Lookup) -> bool:
        a = self.left.get(env)
        if self.right is None:
            return a is not None and a != 0
        b = self.right.get(env)
        if a is None or b is None:
            return False
        return _CMP[self.op](a, b)


@dataclass(frozen=True)
class BoolOp(Node):
    op: str  # "and" | "or" | "not"
    parts: tuple[Node, ...]

    @property
    def names(self) -> tuple[str, ...]:  # type: ignore[override]
        return tuple(n for p in self.parts for n in p.names)

    def eval(self, env: Lookup) -> bool:
        if self.op == "not":
            return not self.parts[0].eval(env)
        if self.op == "and":
            return all(p.eval(env) for p in self.parts)
        return any(p.eval(env) for p in self.parts)


class _Parser:
    def __init__(self, tokens: list[Token]) -> None:
        self.tokens = tokens
        self.i = 0

    def peek(self) -> Token | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def take(self) -> Token:
        tok = self.peek()
        if tok is None:
            raise ConditionError("condition ends too early")
        self.i += 1
        return tok

    def parse(self) -> Node:
        node = self.or_expr()
        if self.peek() is not None:
            raise ConditionError(f"unexpected {self.peek().text!r}")  # type: ignore[union-attr]
        return node

    def _chain(self, word: str, sub: Callable[[], Node]) -> Node:
        parts = [sub()]
        while (tok := self.peek()) is not None and tok.kind == "kw" and tok.text == word:
            self.take()
            parts.append(sub())
        return parts[0] if len(parts) == 1 else BoolOp(word, tuple(parts))

    def or_expr(self) -> Node:
        return self._chain("or", self.and_expr)

    def and_expr(self) -> Node:
        return self._chain("and", self.not_expr)

    def not_expr(self) -> Node:
        tok = self.peek()
        if tok is not None and tok.kind == "kw" and tok.text == "not":
            self.take()
            return BoolOp("not", (self.not_expr(),))
        return self.atom()

    def atom(self) -> Node:
        tok = self.peek()
        if tok is not None and tok.kind == "paren" and tok.text == "(":
            self.take()
            node = self.or_expr()
            close = self.take()
            if close.text != ")":
                raise ConditionError(f"expected ')', got {close.text!r}")
            return node
        left = self.operand()
        tok = self.peek()
        if tok is not None and tok.kind == "op":
            op = self.take().text
            return Compare(left, op, self.operand())
        return Compare(left, "", None)

    def operand(self) -> Operand:
        tok = self.take()
        if tok.kind == "num":
            return Operand("num", float(tok.text))
        if tok.kind == "name":
            nxt = self.peek()
            if nxt is not None and nxt.kind == "paren" and nxt.text == "(":
                raise ConditionError(f"calls are not allowed: {tok.text}(")
            return Operand("name", tok.text)
        if tok.kind == "kw" and tok.text in ("true", "false"):
            return Operand("bool", 1.0 if tok.text == "true" else 0.0)
        raise ConditionError(f"expected a number or a name, got {tok.text!r}")


def parse_condition(text: str, known: set[str] | frozenset[str] | None = None) -> Node:
    """Parse ``text``; with ``known``, any other name is a ``ConditionError``."""
    if not isinstance(text, str) or not text.strip():
        raise ConditionError("empty condition")
    node = _Parser(tokenize(text)).parse()
    if known is not None:
        unknown = sorted({n for n in node.names if n not in known})
        if unknown:
            raise ConditionError(f"unknown name{'s' if len(unknown) > 1 else ''} {', '.join(unknown)}")
    return node
