"""Dockerfile ``CMD``/``ENTRYPOINT`` (shell and exec form) and ``ENV``, read as text."""

from __future__ import annotations

import json
import shlex

from workeradvisor.check.cmdline import apply_env, parse_argv
from workeradvisor.check.model import ParseProblem, Process, Unit


def _logical_lines(text: str) -> list[tuple[int, str]]:
    """Join ``\\``-continued lines; drop comments and blank lines. Returns (first line no, text)."""
    out: list[tuple[int, str]] = []
    buf, start = "", 0
    for no, raw in enumerate(text.splitlines(), 1):
        stripped = raw.strip()
        if not buf and (not stripped or stripped.startswith("#")):
            continue
        if buf and stripped.startswith("#"):
            continue
        if not buf:
            start = no
        if stripped.endswith("\\"):
            buf += stripped[:-1] + " "
            continue
        out.append((start, buf + stripped))
        buf = ""
    if buf:
        out.append((start, buf))
    return out


def _instruction_argv(rest: str, path: str, line: int) -> tuple[list[str], bool]:
    """(argv, exec_form). Raises ParseProblem-bearing ValueError on a broken exec-form array."""
    if rest.startswith("["):
        try:
            value = json.loads(rest)
        except json.JSONDecodeError as exc:
            raise ValueError(f"malformed exec-form array ({exc.msg}); did you forget a closing ']' or quote?") from None
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ValueError("exec-form must be a JSON array of strings")
        return value, True
    return ["/bin/sh", "-c", rest], False


def _parse_env(rest: str, env: dict[str, str], env_lines: dict[str, int], line: int) -> None:
    try:
        words = shlex.split(rest)
    except ValueError:
        return
    if words and "=" not in words[0]:  # legacy "ENV KEY value with spaces"
        env[words[0]] = " ".join(words[1:])
        env_lines[words[0]] = line
        return
    for w in words:
        k, _, v = w.partition("=")
        env[k] = v
        env_lines[k] = line


def parse_dockerfile(path: str, text: str) -> tuple[list[Unit], list[ParseProblem]]:
    """One unit for the final stage's command; problems name the file and line."""
    problems: list[ParseProblem] = []
    env: dict[str, str] = {}
    env_lines: dict[str, int] = {}
    entry: tuple[list[str], bool, int] | None = None
    cmd: tuple[list[str], bool, int] | None = None
    for line, logical in _logical_lines(text):
        keyword, _, rest = logical.partition(" ")
        keyword, rest = keyword.upper(), rest.strip()
        if keyword == "FROM":  # a new stage starts from scratch
            env, env_lines, entry, cmd = {}, {}, None, None
        elif keyword == "ENV":
            _parse_env(rest, env, env_lines, line)
        elif keyword in ("CMD", "ENTRYPOINT"):
            try:
                argv, exec_form = _instruction_argv(rest, path, line)
            except ValueError as exc:
                problems.append(ParseProblem(path, line, f"{keyword}: {exc}"))
                continue
            if keyword == "CMD":
                cmd = (argv, exec_form, line)
            else:
                entry, cmd = (argv, exec_form, line), None  # ENTRYPOINT resets an inherited CMD
    unit = Unit(path=path, kind="dockerfile", name="image", line=1, env=env, env_lines=env_lines)
    unit.process = _process(entry, cmd, env, problems, path)
    if unit.process:
        unit.line = unit.process.line
        apply_env(unit.process, env)
    return [unit], problems


def _process(entry: tuple[list[str], bool, int] | None, cmd: tuple[list[str], bool, int] | None,
             env: dict[str, str], problems: list[ParseProblem], path: str) -> Process | None:
    candidates: list[tuple[list[str], int]] = []
    if entry and cmd and entry[1]:
        candidates.append((entry[0] + cmd[0], cmd[2]))
    for part in (entry, cmd):
        if part:
            candidates.append((part[0], part[2]))
    for argv, line in candidates:
        try:
            proc = parse_argv(argv, line, env)
        except ValueError as exc:
            problems.append(ParseProblem(path, line, f"cannot split command: {exc}"))
            return None
        if proc:
            if proc.server != "python":
                for i, w in enumerate(argv):  # line of the instruction that names the server
                    if w.endswith(proc.server) and entry and w in entry[0] and i < len(entry[0]):
                        proc.line = entry[2]
            return proc
    return None

