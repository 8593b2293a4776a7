"""Per-file facts about native thread pools: thread settings in code, any mention of a limit, and
``if TYPE_CHECKING:`` imports (which never run). Native imports and the project import graph are
recorded by the visitor (``record_import``); the reading of a setting is ``workeradvisor.nativethreads``.

Why a second, small walk: only files that mention a library or a setting pay for it (a bytes
search), and it needs the enclosing function of each setting, which ``ast.walk`` does not give.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field

from workeradvisor.nativethreads import CODE_MARKERS, READS, Setting, assignment_of, literal, mention_of
from workeradvisor.scan.facts import FileFacts

_MARKERS = tuple(m.encode() for m in CODE_MARKERS)
_EVERY_LIMIT = frozenset(n for names in READS.values() for n in names)  # a walk that failed: claim nothing


@dataclass
class _Found:
    path: str
    settings: list[tuple[Setting, str]] = field(default_factory=list)
    unknown: set[str] = field(default_factory=set)
    mentions: set[str] = field(default_factory=set)
    guarded: list[tuple[int, int]] = field(default_factory=list)  # ``if TYPE_CHECKING:`` line ranges

    def see(self, node: ast.AST, func: str) -> None:
        found = assignment_of(node)
        if found is not None:
            name, value, overrides = found
            text = literal(value)
            if text is None:
                self.unknown.add(name)
            else:
                self.settings.append((Setting(name, text, self.path, getattr(node, "lineno", 0), overrides), func))
        mention = mention_of(node)
        if mention is not None:
            self.mentions.add(mention)
        if isinstance(node, ast.If) and _type_checking(node.test) and node.body:
            self.guarded.append((node.body[0].lineno, node.body[-1].end_lineno or node.body[-1].lineno))


def _type_checking(test: ast.expr) -> bool:
    return isinstance(test, ast.Name) and test.id == "TYPE_CHECKING" or isinstance(test, ast.Attribute) and \
        test.attr == "TYPE_CHECKING"


def _walk(node: ast.AST, module: str, prefix: str, func: str, found: _Found) -> None:
    """Visit every node knowing its enclosing function's qualname, named as the visitor names it
    (``mod.Class.method``, ``mod.outer.inner``; ``mod.<module>`` at import level and in class bodies)."""
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
            local = prefix + child.name
            _walk(child, module, local + ".", f"{module}.{local}", found)
        elif isinstance(child, ast.ClassDef):
            _walk(child, module, f"{prefix}{child.name}.", func, found)
        else:
            found.see(child, func)
            _walk(child, module, prefix, func, found)


def read_threads(tree: ast.Module, data: bytes, facts: FileFacts) -> None:
    """Fill ``facts``' thread settings and mentions, and drop native imports under ``TYPE_CHECKING``."""
    if not any(m in data for m in _MARKERS):
        return
    found = _Found(facts.path)
    try:
        _walk(tree, facts.module, "", f"{facts.module}.<module>", found)
    except RecursionError:  # too deep to read: count it as limiting every pool, so nothing is claimed
        facts.thread_mentions = _EVERY_LIMIT
        return
    facts.thread_settings = found.settings
    facts.thread_unknown = frozenset(found.unknown)
    facts.thread_mentions = frozenset(found.mentions)
    if found.guarded:
        facts.native = [n for n in facts.native if not any(a <= n[1] <= b for a, b in found.guarded)]
