"""Running the tools under test: pip download of a pinned sdist, workeradvisor of any checkout, ruff."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tarfile
from pathlib import Path


def pip_download_sdist(project: str, version: str, cache: Path, pip_python: str) -> Path:
    """Download ``project==version`` as an sdist into cache (once) and return the extracted tree."""
    cache.mkdir(parents=True, exist_ok=True)
    stem = f"{project}-{version}"
    tree = cache / stem
    if tree.is_dir():
        return tree
    sdist = cache / f"{stem}.tar.gz"
    if not sdist.exists():
        proc = subprocess.run([pip_python, "-m", "pip", "download", "--no-deps", "--no-binary", ":all:", "-q",
                               "-d", str(cache), f"{project.replace('_', '-')}=={version}"],
                              capture_output=True, text=True)
        if proc.returncode != 0 or not sdist.exists():
            raise SystemExit(f"run.py: error: pip download {project}=={version} failed: {proc.stderr.strip()[-300:]}")
    with tarfile.open(sdist) as tar:
        tar.extractall(cache, filter="data")
    return tree


def check_python(python: str) -> str:
    """The interpreter to run workeradvisor with, or a one-line error."""
    found = shutil.which(python)
    if not found:
        raise SystemExit(f"run.py: error: no Python interpreter at {python}")
    return os.path.abspath(found)  # absolute, not resolved: a venv python is a symlink that must stay one


def scanner_env(src: Path | None) -> dict[str, str]:
    env = dict(os.environ)
    if src is not None:
        env["PYTHONPATH"] = os.pathsep.join([str(src.resolve()), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    return env


def scan_options(python: str, src: Path | None) -> list[str]:
    """Options the scanner under test understands that a benchmark needs: with the served-code model
    (issue 10), ``--include-unserved`` keeps eval files that are not behind a framework entry point."""
    proc = subprocess.run([python, "-P", "-m", "workeradvisor", "scan", "--help"], capture_output=True, text=True,
                          env=scanner_env(src), cwd="/")
    return ["--include-unserved"] if "--include-unserved" in proc.stdout else []


def run_workeradvisor(python: str, src: Path | None, target: Path, cwd: Path, extra: list[str] | None = None) -> dict:
    """``<python> -m workeradvisor scan target --format json`` from cwd; the parsed report."""
    # -P: the scan runs from inside the scanned tree, whose modules (datasette/inspect.py) must not shadow
    # the stdlib or the scanner; PYTHONPATH (--src) still applies
    cmd = [python, "-P", "-m", "workeradvisor", "scan", str(target), "--format", "json", "--fail-on", "never",
           *(extra if extra is not None else scan_options(python, src))]
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, env=scanner_env(src))
    if proc.returncode not in (0, 1):
        raise SystemExit(f"run.py: error: workeradvisor scan failed ({proc.returncode}): {proc.stderr.strip()[-400:]}")
    try:
        return json.loads(proc.stdout)
    except json.JSONDecodeError as exc:
        raise SystemExit(f"run.py: error: workeradvisor printed no JSON report: {exc}") from None


def scanner_label(python: str, src: Path | None) -> str:
    """Which checkout ran: the workeradvisor module's folder and its git commit."""
    code = "import workeradvisor, os; print(os.path.dirname(os.path.dirname(workeradvisor.__file__)))"
    # cwd="/": ``python -c`` puts the cwd first on sys.path, which would name this checkout instead
    proc = subprocess.run([python, "-c", code], capture_output=True, text=True, env=scanner_env(src), cwd="/")
    root = proc.stdout.strip() or "?"
    rev = subprocess.run(["git", "-C", root, "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
    dirty = subprocess.run(["git", "-C", root, "status", "--porcelain", "workeradvisor", "rules"],
                           capture_output=True, text=True).stdout.strip()
    return f"{root} @ {rev.stdout.strip() or '?'}{' (+uncommitted)' if dirty else ''}"


def run_ruff(ruff: str | None, python: str, target: Path) -> tuple[list[dict] | None, str]:
    """``ruff check --select ASYNC --output-format json``; (None, '') when no ruff is installed."""
    exe = ruff or str(Path(python).with_name("ruff"))
    if not Path(exe).exists():
        exe = shutil.which("ruff") or ""
    if not exe:
        return None, ""
    version = subprocess.run([exe, "--version"], capture_output=True, text=True).stdout.split()[-1:]
    proc = subprocess.run([exe, "check", "--select", "ASYNC", "--output-format", "json", "--no-cache", "--isolated",
                           "--exit-zero", str(target)], capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"run.py: error: ruff failed: {proc.stderr.strip()[-300:]}")
    return json.loads(proc.stdout or "[]"), (version[0] if version else "?")
