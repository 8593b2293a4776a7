"""Cache-miss paths, worker jobs and tool files: what makes code not per request (issue 10)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from workeradvisor.scan import scan_paths
from workeradvisor.scan.config import ScanConfig
from workeradvisor.scan.fileworker import newer_syntax
from workeradvisor.scan.served import unserved_reason


def test_tasks_py_is_a_tool_file_only_at_the_root() -> None:
    assert unserved_reason(("tasks.py",)) == "tasks.py"  # invoke
    assert unserved_reason(("app", "jobs", "tasks.py")) == ""  # celery / dramatiq jobs are served code
    assert unserved_reason(("pkg", "conftest.py")) == "conftest.py"


def _scan(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, source: str) -> list[tuple[int, str]]:
    pkg = tmp_path / "svc"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "app.py").write_text(source)
    monkeypatch.chdir(tmp_path)
    result = scan_paths(["svc"], config=ScanConfig(), jobs=1)
    return sorted((f.line, f.rule) for f in result.findings)


ROUTE = '''import httpx
from fastapi import FastAPI
app = FastAPI()
_client = None
'''


def test_memo_guard_on_self_attribute(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    src = ROUTE + '''
class Svc:
    async def token(self):
        if self._token is not None:
            return self._token
        async with httpx.AsyncClient() as c:
            self._token = (await c.get("https://x")).text
        return self._token

svc = Svc()

@app.get("/")
async def index():
    return await svc.token()
'''
    assert _scan(tmp_path, monkeypatch, src) == []


def test_guard_without_a_store_is_not_a_memo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``if self.closed: return`` with nothing stored afterwards: the client is still built per call."""
    src = ROUTE + '''
class Svc:
    async def token(self):
        if self._token is not None:
            return self._token
        async with httpx.AsyncClient() as c:
            return (await c.get("https://x")).text

svc = Svc()

@app.get("/")
async def index():
    return await svc.token()
'''
    assert _scan(tmp_path, monkeypatch, src) == [(10, "WA311")]


_PY314 = {
    "handler.py": "def f():\n    try:\n        pass\n    except ValueError, TypeError:\n        pass\n",
    "query.py": 'def q(uid):\n    return sql(t"select * from users where id={uid}")\n',
}


@pytest.mark.skipif(sys.version_info >= (3, 14), reason="the running grammar already has it")
def test_python_314_syntax_is_one_error_not_a_crash(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``except A, B:`` (PEP 758) and t-strings (PEP 750) fail to parse before 3.14: one error for the
    run naming both and the interpreter to use; the other files are still scanned."""
    for name, text in _PY314.items():
        (tmp_path / name).write_text(text)
    (tmp_path / "ok.py").write_text("import time\n\nasync def h():\n    time.sleep(1)\n")
    monkeypatch.chdir(tmp_path)
    result = scan_paths(["."], config=ScanConfig(), jobs=1)
    assert [(f.path, f.rule) for f in result.findings] == [("ok.py", "WA111")]
    assert len(result.errors) == 1
    message = result.errors[0].message
    assert "run workeradvisor under Python >= 3.14" in message
    assert "PEP 758" in message and "PEP 750" in message and "1 more file" in message
    assert result.files_scanned == 1


def test_t_prefix_is_not_read_into_other_strings() -> None:
    """Only a t-string literal names PEP 750: ``print("it")``, ``rt`` and ``f"..."`` do not."""
    exc = SyntaxError("invalid syntax")
    exc.lineno = 1
    assert newer_syntax(exc, b'x = tr"raw {y}"\n').endswith("(PEP 750))") or sys.version_info >= (3, 14)
    assert "PEP 750" not in newer_syntax(exc, b'print("it") +\n')
    assert "PEP 750" not in newer_syntax(exc, b'x = f"{a}" b\n')


def test_declared_local_type_survives_untyped_assignments(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``f: TextIOWrapper = ...`` then ``f = other()``: the declared type wins (as for mypy); a new
    annotation (``f: int = 7``) replaces it."""
    src = '''from io import TextIOWrapper

async def h(path):
    f: TextIOWrapper = ...
    f = reopen(path)
    f.read()
    f: int = 7
    f.read()
'''
    assert _scan(tmp_path, monkeypatch, src) == [(6, "WA122")]
