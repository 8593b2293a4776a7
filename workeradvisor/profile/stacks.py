"""Parse py-spy ``record --format raw --threads`` output and classify event-loop samples ourselves.

Why not trust py-spy's idle flag alone: its idle heuristic compares frame names to ``select``,
but py-spy 0.4 prints qualified names on Python 3.11+ (``EpollSelector.select``), so it misfires;
under uvloop there is no Python selector frame at all. We classify from the frames.

Why a regex instead of ``line.split(";")``: with ``--subprocesses`` the first element is the
process command line, and multiprocessing spawn children's command lines contain ``;``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from dataclasses import dataclass

_THREAD_HEADER = re.compile(r"(?:^|;)thread \((0x[0-9a-fA-F]+|\d+)\)(?::[ ]?([^;]*))?(?=;|$)")
_FRAME = re.compile(r"^(?P<func>.*) \((?P<path>[^()]*?)(?::(?P<line>\d+))?\)$")

# (path suffix, function-name suffix): innermost frames that mean "the loop is waiting for I/O".
# uvloop runs the whole loop in C, so its idle leaf is whatever Python frame entered the loop.
_LOOP_WAIT_LEAVES: tuple[tuple[str, str], ...] = (
    ("selectors.py", "select"),
    ("selectors.py", "poll"),
    ("asyncio/base_events.py", "_run_once"),
    ("asyncio/base_events.py", "run_forever"),
    ("asyncio/base_events.py", "run_until_complete"),
    ("asyncio/runners.py", "run"),
    ("uvloop/__init__.py", "run"),
    ("uvicorn/_compat.py", "asyncio_run"),
    ("uvicorn/server.py", "run"),
    ("uvicorn/server.py", "serve"),
    ("uvicorn/server.py", "main_loop"),
    ("uvicorn/workers.py", "run"),
)
_LOOP_MARKERS = ("asyncio/runners.py", "asyncio/base_events.py", "uvloop/__init__.py", "uvicorn/server.py")
_LIBRARY_MARKERS = ("/site-packages/", "/dist-packages/", "/lib/python3", "/lib64/python3", "/.pyenv/")


@dataclass(frozen=True)
class Frame:
    function: str
    path: str
    line: int

    @property
    def short_function(self) -> str:
        """``EpollSelector.select`` -> ``select`` (py-spy 0.4 qualifies names on 3.11+)."""
        return self.function.rsplit(".", 1)[-1]

    def label(self, root: str | None = None) -> str:
        return f"{self.function}() ({display_path(self.path, root)}:{self.line})"


@dataclass(frozen=True)
class Sample:
    thread_id: int | None  # OS thread id (py-spy 0.4) or None when py-spy gave a pthread handle
    thread_name: str
    frames: tuple[Frame, ...]  # outermost first, as py-spy prints them
    count: int


def parse_raw(lines: Iterable[str]) -> list[Sample]:
    """Parse raw folded stacks (``thread (TID): NAME;frame (file:line);... COUNT``)."""
    samples: list[Sample] = []
    for raw in lines:
        line = raw.rstrip("\n")
        stack, sep, count_text = line.rpartition(" ")
        if not sep or not count_text.isdigit():
            continue
        header = _THREAD_HEADER.search(stack)
        tid: int | None = None
        name = ""
        rest = stack
        if header:
            ident = header.group(1)
            tid = None if ident.startswith("0x") else int(ident)
            name = (header.group(2) or "").strip()
            rest = stack[header.end() :]
        frames = tuple(f for f in (_parse_frame(part) for part in rest.split(";")) if f is not None)
        samples.append(Sample(tid, name, frames, int(count_text)))
    return samples


def _parse_frame(text: str) -> Frame | None:
    m = _FRAME.match(text.strip())
    if not m:
        return None
    return Frame(m.group("func"), m.group("path"), int(m.group("line") or 0))


def is_app_path(path: str) -> bool:
    """Application code: not the stdlib, not an installed package, not a frozen module."""
    if not path or path.startswith("<"):
        return False
    return not any(marker in path for marker in _LIBRARY_MARKERS)


def is_waiting_in_loop(frames: tuple[Frame, ...]) -> bool:
    """True when the innermost frame is the event loop waiting for I/O (selector or uvloop's C loop)."""
    if not frames:
        return False
    leaf = frames[-1]
    return any(leaf.path.endswith(p) and leaf.short_function == f for p, f in _LOOP_WAIT_LEAVES)


def has_event_loop(frames: tuple[Frame, ...]) -> bool:
    return any(f.path.endswith(m) for f in frames for m in _LOOP_MARKERS)


def site_frame(frames: tuple[Frame, ...]) -> Frame | None:
    """The call site to blame: the innermost application frame, else the innermost frame."""
    for frame in reversed(frames):
        if is_app_path(frame.path):
            return frame
    return frames[-1] if frames else None


def outermost_app_frame(frames: tuple[Frame, ...]) -> Frame | None:
    return next((f for f in frames if is_app_path(f.path)), None)


def display_path(path: str, root: str | None = None) -> str:
    """Path relative to ``root`` (or the current directory) when inside it, else unchanged."""
    for base in (root, os.getcwd()):
        if base and path.startswith(base.rstrip("/") + "/"):
            return path[len(base.rstrip("/")) + 1 :]
    return path
