"""Shared pieces of the fuzz tests: bounded hypothesis settings, text mutations of real seed files,
JSON-like values whose keys come from the readers' own vocabulary, and the CLI run in-process."""

from __future__ import annotations

import json
import re
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from workeradvisor.cli import app
from workeradvisor.errors import WorkerAdvisorError

ROOT = Path(__file__).resolve().parent.parent
# Small and deadline-bound so the whole fuzz suite stays a few seconds in CI; derandomized so a
# failure reproduces on the next run (the example is printed by hypothesis).
FUZZ = settings(max_examples=20, deadline=5000, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])

_SCALARS = (st.none() | st.booleans() | st.integers(-(2**70), 2**70)
            | st.floats(allow_nan=True, allow_infinity=True) | st.text(max_size=12))


def vocabulary(*modules: str) -> list[str]:
    """Every quoted snake_case word in the readers' source: the keys they look for."""
    words: set[str] = set()
    for module in modules:
        words |= set(re.findall(r'"([a-zA-Z_][a-zA-Z0-9_]{0,40})"', (ROOT / module).read_text(encoding="utf-8")))
    return sorted(words)


def json_values(keys: list[str], max_leaves: int = 30) -> st.SearchStrategy[Any]:
    """Nested lists and dicts of scalars, dict keys mostly from ``keys`` so readers go deep."""
    key = st.sampled_from(keys) | st.text(max_size=6)
    return st.recursive(_SCALARS, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(key, inner, max_size=6),
                        max_leaves=max_leaves)


def documents(required: tuple[str, ...], keys: list[str]) -> st.SearchStrategy[str]:
    """JSON text: a mapping holding the ``required`` top-level keys, random values, NaN allowed."""
    values = json_values(keys)
    optional = {k: values for k in keys[:40] if k not in required}
    doc = st.fixed_dictionaries({k: values for k in required}, optional=optional)
    return st.one_of(doc, values).map(lambda v: json.dumps(v, allow_nan=True))


@st.composite
def mutated(draw: st.DrawFn, seeds: list[str], alphabet: str) -> str:
    """A seed file with a few random cuts, duplications and insertions (syntax breaks mid-token)."""
    text = draw(st.sampled_from(seeds))
    for _ in range(draw(st.integers(0, 4))):
        i = draw(st.integers(0, len(text)))
        j = draw(st.integers(i, min(len(text), i + 40)))
        op = draw(st.sampled_from(("cut", "dup", "insert")))
        if op == "cut":
            text = text[:i] + text[j:]
        elif op == "dup":
            text = text[:j] + text[i:j] * draw(st.integers(1, 3)) + text[j:]
        else:
            text = text[:i] + draw(st.text(alphabet=alphabet, max_size=12)) + text[i:]
    return text


@contextmanager
def scratch() -> Iterator[Path]:
    """A fresh directory per example (pytest's tmp_path is shared by all of a test's examples)."""
    with tempfile.TemporaryDirectory(prefix="wa-fuzz-") as d:
        yield Path(d)


def only_documented_errors(call: Callable[[], Any]) -> None:
    """``call`` returns or raises a WorkerAdvisorError; anything else fails the example."""
    try:
        call()
    except WorkerAdvisorError as exc:
        assert "\n" not in str(exc), str(exc)


def run_cli(*args: str) -> None:
    """The CLI in-process: exit codes are whatever the command chose; the only exceptions allowed
    to escape a command are WorkerAdvisorError (main() turns them into one line and a code)."""
    result = CliRunner().invoke(app, list(args), catch_exceptions=True)
    exc = result.exception
    if exc is not None and not isinstance(exc, SystemExit | WorkerAdvisorError):
        exc.add_note(f"escaped from: workeradvisor {' '.join(args)}")
        raise exc
    if isinstance(exc, WorkerAdvisorError):
        assert "\n" not in str(exc), str(exc)
