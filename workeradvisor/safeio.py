"""Bounded reads of files the user points us at: every input is untrusted data (docs/security.md).

Three defences, each a one-line ``ConfigError`` (exit 2) instead of a hang, a traceback or gigabytes:

* ``read_bounded`` opens with ``O_NONBLOCK`` and checks ``fstat`` before reading, so a FIFO,
  device, socket or directory is refused without blocking, and reads at most the documented cap
  for that kind of input (``/dev/zero`` behind a symlink is a character device, refused).
* ``load_yaml`` / ``yaml_loader`` count nodes as the parser emits them: an alias adds the size of
  what it points at, so a "billion laughs" document is refused after ``MAX_YAML_ALIAS_NODES``
  nodes, before anything is built. Nesting deeper than ``MAX_DEPTH`` is refused the same way
  (PyYAML's composer recurses, so this also keeps ``RecursionError`` out).
* ``load_json`` refuses nesting deeper than ``MAX_DEPTH`` and non-finite numbers (``NaN``,
  ``Infinity``, ``1e400``), naming the field.
"""

from __future__ import annotations

import errno
import json
import math
import os
import stat
from typing import Any

import yaml
from yaml.events import (
    AliasEvent,
    DocumentStartEvent,
    Event,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
)

from workeradvisor.errors import ConfigError

MiB = 1024 * 1024
# Size caps per input kind (documented in docs/security.md). Generous for real files, small
# enough that reading and parsing one can never take the machine's memory.
MAX_DEPLOYMENT_FILE = 32 * MiB  # check: Dockerfile, compose, Kubernetes, Procfile, systemd, *.py, Ray Serve
MAX_CONFIG_FILE = 4 * MiB  # --requests spec, --decision file, rule files, pyproject.toml
MAX_RESULT_FILE = 256 * MiB  # scan / profile / load / analyze JSON, --import files (wrk, oha, Locust, k6)
MAX_DEPTH = 100  # nesting of YAML collections and JSON arrays/objects
MAX_YAML_ALIAS_NODES = 100_000  # nodes that aliases may add by repeating anchored content, per stream

_KINDS = ((stat.S_ISFIFO, "a FIFO (named pipe)"), (stat.S_ISCHR, "a character device"),
          (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"), (stat.S_ISDIR, "a directory"))


class InputError(ConfigError):
    """An input file refused before or while reading; ``reason`` is the message without the path."""

    def __init__(self, what: str, path: str, reason: str) -> None:
        super().__init__(f"cannot read {what} {path}: {reason}")
        self.path = path
        self.reason = reason


def _kind_name(mode: int) -> str:
    return next((name for test, name in _KINDS if test(mode)), "not a regular file")


def _refusal(path: str, exc: OSError) -> str:
    """Why ``open`` failed; a socket fails with ENXIO, which deserves its real name."""
    if exc.errno == errno.ENXIO:
        try:
            mode = os.stat(path).st_mode
        except OSError:
            mode = 0
        if mode and not stat.S_ISREG(mode):
            return f"it is {_kind_name(mode)}, not a regular file"
    return exc.strerror or str(exc)


def read_bounded_bytes(path: str | os.PathLike[str], what: str, limit: int) -> bytes:
    """The bytes of a regular file no larger than ``limit``; ``InputError`` for anything else."""
    shown = os.fspath(path)
    try:
        fd = os.open(shown, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC | os.O_NOCTTY)
    except OSError as exc:
        raise InputError(what, shown, _refusal(shown, exc)) from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise InputError(what, shown, f"it is {_kind_name(st.st_mode)}, not a regular file")
        if st.st_size > limit:
            raise InputError(what, shown, f"{st.st_size} bytes is over the {_size(limit)} limit for a {what}")
        chunks: list[bytes] = []
        left = limit + 1  # one byte more than allowed tells a file that grew (or lies about its size)
        while left > 0:
            chunk = os.read(fd, min(left, MiB))
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
        if left <= 0:
            raise InputError(what, shown, f"more than the {_size(limit)} limit for a {what}")
        return b"".join(chunks)
    except OSError as exc:
        raise InputError(what, shown, exc.strerror or str(exc)) from None
    finally:
        os.close(fd)


def read_bounded(path: str | os.PathLike[str], what: str, limit: int, errors: str = "strict") -> str:
    """UTF-8 text of a regular file no larger than ``limit`` (see ``read_bounded_bytes``)."""
    data = read_bounded_bytes(path, what, limit)
    try:
        return data.decode("utf-8", errors=errors)
    except UnicodeDecodeError as exc:
        raise InputError(what, os.fspath(path), f"not UTF-8 text (byte {exc.start})") from None


def _size(n: int) -> str:
    return f"{n // MiB} MiB" if n >= MiB and n % MiB == 0 else f"{n} bytes"


class YAMLLimitError(yaml.MarkedYAMLError):
    """A YAML document over the node budget or nesting limit: a ``YAMLError`` so every existing
    handler reports it like a syntax error, with its line."""


class _Budget:
    """Counts nodes as events arrive, before the composer builds (or the constructor expands) them.

    ``_open`` holds [anchor, size so far] per open collection; an anchored node's final size is
    remembered, and an alias adds that size again: the count is the size of the fully expanded
    tree, computed in linear time. Mixed in ahead of the parser so ``get_event`` is intercepted."""

    max_depth = MAX_DEPTH
    max_alias_nodes = MAX_YAML_ALIAS_NODES

    def _budget_init(self) -> None:
        self._open: list[list[Any]] = []
        self._sizes: dict[str, int] = {}
        self._alias_nodes = 0

    def get_event(self) -> Event:
        event: Event = super().get_event()  # type: ignore[misc]
        if isinstance(event, SequenceStartEvent | MappingStartEvent):
            self._open.append([event.anchor, 1])
            if len(self._open) > self.max_depth:
                raise YAMLLimitError(problem=f"nested deeper than {self.max_depth} levels",
                                     problem_mark=_mark(event))
        elif isinstance(event, SequenceEndEvent | MappingEndEvent):
            anchor, size = self._open.pop()
            self._add(anchor, size)
        elif isinstance(event, ScalarEvent):
            self._add(event.anchor, 1)
        elif isinstance(event, AliasEvent):
            self._alias(event)
        elif isinstance(event, DocumentStartEvent):
            self._sizes = {}  # anchors are scoped to one document
        return event

    def _add(self, anchor: str | None, size: int) -> None:
        if anchor is not None:
            self._sizes[anchor] = size
        if self._open:
            self._open[-1][1] += size

    def _alias(self, event: AliasEvent) -> None:
        if any(anchor == event.anchor for anchor, _ in self._open):
            raise YAMLLimitError(problem=f"recursive alias *{event.anchor}", problem_mark=_mark(event))
        size = self._sizes.get(event.anchor or "", 0)  # undefined: the composer reports it
        self._alias_nodes += size
        if self._alias_nodes > self.max_alias_nodes:
            raise YAMLLimitError(problem=f"aliases expand to more than {self.max_alias_nodes} nodes "
                                 f"(an alias bomb?)", problem_mark=_mark(event))
        self._add(None, size)


if getattr(yaml, "__with_libyaml__", False):
    from yaml._yaml import CParser

    class BoundedSafeLoader(_Budget, yaml.composer.Composer, CParser,
                            yaml.constructor.SafeConstructor, yaml.resolver.Resolver):
        """libyaml's scanner and parser (fast), PyYAML's composer (so events can be counted)."""

        def __init__(self, stream: str | bytes) -> None:
            CParser.__init__(self, stream)
            yaml.composer.Composer.__init__(self)
            yaml.constructor.SafeConstructor.__init__(self)
            yaml.resolver.Resolver.__init__(self)
            self._budget_init()
else:  # pragma: no cover - PyYAML built without libyaml

    class BoundedSafeLoader(_Budget, yaml.SafeLoader):  # type: ignore[no-redef]
        """``yaml.SafeLoader`` with the node budget."""

        def __init__(self, stream: str | bytes) -> None:
            yaml.SafeLoader.__init__(self, stream)
            self._budget_init()


def _mark(event: Event) -> yaml.Mark | None:
    """The event's position as a ``yaml.Mark`` (libyaml's marks have the same line/column)."""
    mark = event.start_mark
    return yaml.Mark("<yaml>", 0, mark.line, mark.column, None, 0) if mark is not None else None


def yaml_error_line(exc: yaml.YAMLError) -> tuple[int, str]:
    """(1-based line or 0, first line of the problem) for a one-line message."""
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or (str(exc).splitlines() or [type(exc).__name__])[0]
    return (mark.line + 1 if mark is not None else 0), str(problem)


def load_yaml(text: str, what: str) -> Any:
    """One YAML document, safe types only, within the node budget and depth; ``ConfigError`` otherwise."""
    loader = BoundedSafeLoader(text)
    try:
        return loader.get_single_data()
    except yaml.YAMLError as exc:
        line, problem = yaml_error_line(exc)
        raise ConfigError(f"{what}:{f' line {line}:' if line else ''} malformed YAML: {problem}") from None
    except RecursionError:  # not expected under the depth cap; never a traceback regardless
        raise ConfigError(f"{what}: nested too deeply") from None
    finally:
        loader.dispose()


def load_yaml_documents(text: str, what: str) -> list[Any]:
    """Every document of a multi-document stream (Kubernetes ``---``), same limits as ``load_yaml``."""
    loader = BoundedSafeLoader(text)
    docs = []
    try:
        while loader.check_data():
            docs.append(loader.get_data())
    except yaml.YAMLError as exc:
        line, problem = yaml_error_line(exc)
        raise ConfigError(f"{what}:{f' line {line}:' if line else ''} malformed YAML: {problem}") from None
    except RecursionError:
        raise ConfigError(f"{what}: nested too deeply") from None
    finally:
        loader.dispose()
    return docs


def load_json(text: str | bytes, what: str, max_depth: int = MAX_DEPTH) -> Any:
    """Parsed JSON no deeper than ``max_depth`` and with finite numbers only; ``ConfigError`` otherwise."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{what}: not JSON: line {exc.lineno} column {exc.colno}: {exc.msg}") from None
    except RecursionError:
        raise ConfigError(f"{what}: JSON nested deeper than {max_depth} levels") from None
    except (ValueError, UnicodeDecodeError) as exc:  # e.g. an integer over Python's digit limit
        raise ConfigError(f"{what}: unusable JSON: {str(exc).splitlines()[0]}") from None
    problem = _json_problem(data, max_depth)
    if problem:
        raise ConfigError(f"{what}: {problem}")
    return data


def _json_problem(data: Any, max_depth: int) -> str:
    """Iterative walk: the first value that is too deep or not a finite number, with its path.

    Entries carry (key, parent entry) links so the path string is only built for the culprit."""
    stack: list[tuple[Any, int, Any]] = [(data, 0, None)]
    while stack:
        entry = stack.pop()
        value, depth, _ = entry
        if isinstance(value, float) and not math.isfinite(value):
            return f"{_json_path(entry)}: non-finite number {value!r} (NaN, Infinity and out-of-range are refused)"
        if isinstance(value, dict | list):
            if depth >= max_depth:
                return f"{_json_path(entry)}: JSON nested deeper than {max_depth} levels"
            items = value.items() if isinstance(value, dict) else enumerate(value)
            stack.extend((v, depth + 1, (k, entry)) for k, v in items)
    return ""


def _json_path(entry: tuple[Any, int, Any]) -> str:
    """``$.thresholds.io_bound_ratio`` / ``$.stages[3]`` for an entry of ``_json_problem``'s walk."""
    parts: list[str] = []
    link = entry[2]
    while link is not None:
        key, parent = link
        parts.append(f"[{key}]" if isinstance(key, int) else f".{key}")
        link = parent[2]
    return "$" + "".join(reversed(parts))
