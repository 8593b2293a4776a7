"""Served-code model, import roots and new syntax (issue 10): contexts and entry points, unserved
code only on request, the same chains from inside the package, one error per run for newer grammar."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from workeradvisor.scan import scan_paths
from workeradvisor.scan.config import ScanConfig, load_config

ROOT = Path(__file__).resolve().parent.parent
APP = ROOT / "tests" / "fixtures" / "scan" / "servedapp"


def _scan(cwd: Path, target: str, **kw):
    old = Path.cwd()
    os.chdir(cwd)
    try:
        return scan_paths([target], config=ScanConfig(), jobs=1, **kw)
    finally:
        os.chdir(old)


def test_unserved_code_only_on_request() -> None:
    default = _scan(ROOT, str(APP))
    assert not [f for f in default.findings if f.context == "unserved"]
    full = _scan(ROOT, str(APP), include_unserved=True)
    unserved = {(Path(f.path).name, f.rule, f.entry) for f in full.findings if f.context == "unserved"}
    assert ("cli.py", "WA111", "cli servedapp.cli.main") in unserved  # reached from a click command
    assert ("login_flow.py", "WA111", "tests/") in unserved
    assert ("seed.py", "WA101", "scripts/") in unserved


def test_contexts_and_entries() -> None:
    result = _scan(ROOT, str(APP))
    by_line = {(Path(f.path).name, f.line): f for f in result.findings}
    login = by_line[("main.py", 57)]
    assert (login.rule, login.context, login.entry) == ("WA201", "request", "route POST /login servedapp.main.login")
    assert login.chain[-1].symbol == "bcrypt.checkpw"  # the costly call, not gensalt
    mw = by_line[("main.py", 38)]
    assert (mw.context, mw.entry) == ("request", "middleware servedapp.main.SchemaMiddleware.dispatch")
    startup = [f for f in result.findings if f.rule == "WA390"]
    assert len(startup) == 1 and startup[0].severity == "info" and startup[0].context == "startup"
    assert startup[0].symbol == "time.sleep"


def test_plain_asyncio_program_counts_all_async_code(tmp_path: Path) -> None:
    (tmp_path / "worker.py").write_text("import time\n\nasync def job():\n    time.sleep(1)\n")
    result = _scan(tmp_path, ".")
    assert [(f.rule, f.context) for f in result.findings] == [("WA111", "request")]


def test_same_chains_from_inside_the_package() -> None:
    outside = _scan(APP.parent, "servedapp")
    inside = _scan(APP, ".")

    def key(result, prefix: str) -> set[tuple[str, int, str, str]]:
        return {(f.path.removeprefix(prefix), f.line, f.rule, f.function) for f in result.findings}

    assert key(outside, "servedapp/") == key(inside, "")
    assert any(f.chain and f.chain[-1].symbol == "bcrypt.checkpw" for f in inside.findings)


def test_src_layout_and_config(tmp_path: Path) -> None:
    pkg = tmp_path / "src" / "svc"
    pkg.mkdir(parents=True)
    (pkg / "db.py").write_text("import time\n\ndef slow():\n    time.sleep(1)\n")
    (tmp_path / "src" / "app.py").write_text("from svc.db import slow\n\nasync def h():\n    slow()\n")
    (tmp_path / "pyproject.toml").write_text('[tool.workeradvisor]\nsrc = ["src"]\ninclude-unserved = true\n')
    config = load_config(tmp_path)
    assert config.include_unserved and config.src == (tmp_path / "src",)
    old = Path.cwd()
    os.chdir(tmp_path)
    try:
        result = scan_paths(["."], config=config, jobs=1)
    finally:
        os.chdir(old)
    assert [(f.path, f.line, f.rule) for f in result.findings] == [("src/app.py", 4, "WA111")]


# (grammar the running Python lacks, sample files, the version the error must ask for)
_NEWER = ((3, 12), ("type Alias = int\n", "def first[T](x: T) -> T:\n    return x\n"), "3.12", "PEP 695") \
    if sys.version_info < (3, 12) else \
    ((3, 14), ("try:\n    pass\nexcept ValueError, TypeError:\n    pass\n",) * 2, "3.14", "PEP 758")


@pytest.mark.skipif(sys.version_info >= _NEWER[0], reason="the running grammar already has it")
def test_newer_syntax_reported_once_per_run(tmp_path: Path) -> None:
    _, samples, version, pep = _NEWER
    (tmp_path / "a.py").write_text(samples[0])
    (tmp_path / "b.py").write_text(samples[1])
    (tmp_path / "c.py").write_text("x = (\n")
    result = _scan(tmp_path, ".")
    newer = [e for e in result.errors if f"run workeradvisor under Python >= {version}" in e.message]
    assert len(newer) == 1 and pep in newer[0].message and "1 more file" in newer[0].message
    assert any(e.path == "c.py" and "syntax error" in e.message for e in result.errors)
