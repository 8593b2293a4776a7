"""YAML documents with the line of every key, read with ``safeio.BoundedSafeLoader``: PyYAML's safe
constructor (what ``safe_load`` uses) under a node budget and depth limit, so an alias bomb is one
ParseProblem, not gigabytes."""

from __future__ import annotations

from typing import Any

import yaml

from workeradvisor.check.model import ParseProblem
from workeradvisor.safeio import BoundedSafeLoader, yaml_error_line

Lines = dict[tuple[Any, ...], int]


def _walk(node: yaml.Node, path: tuple[Any, ...], lines: Lines) -> None:
    lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            k = key.value if isinstance(key, yaml.ScalarNode) else str(key.start_mark.line)
            lines[path + (k,)] = key.start_mark.line + 1
            _walk(value, path + (k,), lines)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _walk(item, path + (i,), lines)


def load_documents(path: str, text: str) -> tuple[list[tuple[Any, Lines]], ParseProblem | None]:
    """Every document with its key-path -> line map; a syntax error is one ParseProblem."""
    docs: list[tuple[Any, Lines]] = []
    loader = BoundedSafeLoader(text)
    try:
        while loader.check_node():
            node = loader.get_node()
            if node is None:  # check_node() said there is one; keeps the type checker honest
                break
            data = loader.construct_document(node)
            lines: Lines = {}
            _walk(node, (), lines)
            docs.append((data, lines))
    except yaml.YAMLError as exc:
        line, problem = yaml_error_line(exc)
        return docs, ParseProblem(path, line, f"malformed YAML: {problem}")
    finally:
        loader.dispose()
    return docs, None


def as_map(value: Any) -> dict[Any, Any]:
    """The value when it is a mapping, else empty: odd shapes are skipped, not crashed on."""
    return value if isinstance(value, dict) else {}


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def as_words(value: Any) -> list[str]:
    """A command/args value: a list of scalars, or a single string (one word)."""
    if isinstance(value, str):
        return [value]
    return [str(v) for v in as_list(value) if isinstance(v, str | int | float)]


def line_of(lines: Lines, *path: Any, default: int = 1) -> int:
    """Line of the deepest existing prefix of ``path``."""
    for end in range(len(path), -1, -1):
        if path[:end] in lines:
            return lines[path[:end]]
    return default
