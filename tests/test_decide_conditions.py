"""The condition evaluator: grammar, None semantics, and no way to run code."""

from __future__ import annotations

import pytest

from workeradvisor.decide.conditions import ConditionError, parse_condition

KNOWN = frozenset({"a", "b", "c", "limit"})


@pytest.mark.parametrize(
    ("text", "env", "expected"),
    [
        ("a > 1", {"a": 2.0}, True),
        ("a > 1", {"a": 1.0}, False),
        ("a >= 1 and b < 0.5", {"a": 1.0, "b": 0.4}, True),
        ("a >= 1 and b < 0.5", {"a": 1.0, "b": 0.6}, False),
        ("a > 5 or b == 2", {"a": 1.0, "b": 2.0}, True),
        ("not a > 5", {"a": 1.0}, True),
        ("not (a > 5 or b > 5) and c != 3", {"a": 1.0, "b": 1.0, "c": 4.0}, True),
        ("a > 1 or b > 1 and c > 1", {"a": 2.0, "b": 0.0, "c": 0.0}, True),  # and binds tighter
        ("(a > 1 or b > 1) and c > 1", {"a": 2.0, "b": 0.0, "c": 0.0}, False),
        ("a <= limit", {"a": 40.0, "limit": 40.0}, True),
        (".5 < a", {"a": 0.6}, True),
        ("a", {"a": 1.0}, True),
        ("a", {"a": 0.0}, False),
        ("a", {"a": None}, False),
        ("a > 1", {"a": None}, False),  # unmeasured: comparisons are false
        ("a < 1", {"a": None}, False),
        ("true and not false", {}, True),
    ],
)
def test_evaluates(text: str, env: dict, expected: bool) -> None:
    assert parse_condition(text, KNOWN).eval(env) is expected


@pytest.mark.parametrize(
    "text",
    [
        "__import__('os')",
        "__import__('os').system('true')",
        "a.__class__ > 1",
        "open > 1",
        "a > 1 and",
        "a > > 1",
        "(a > 1",
        "a > 1)",
        "a + 1 > 2",
        "'x' == a",
        "",
        "a > 1; b > 1",
        "lambda: 1",
    ],
)
def test_rejects_everything_else(text: str) -> None:
    with pytest.raises(ConditionError):
        parse_condition(text, KNOWN)


def test_unknown_names_are_rejected_at_parse_time() -> None:
    with pytest.raises(ConditionError, match="unknown name zz"):
        parse_condition("a > 1 and zz < 2", KNOWN)


def test_no_eval_in_the_decide_package() -> None:
    import ast
    from pathlib import Path

    import workeradvisor.decide as pkg

    banned = {"eval", "exec", "compile", "__import__"}
    for f in Path(pkg.__file__).parent.glob("*.py"):
        for node in ast.walk(ast.parse(f.read_text())):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                assert node.func.id not in banned, f"{f.name}:{node.lineno} calls {node.func.id}"
