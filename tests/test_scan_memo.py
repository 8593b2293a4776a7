"""Cache-miss paths, worker jobs and tool files: what makes code not per request (issue 10)."""

from __future__ import annotations

from pathlib import Path

import pytest

from workeradvisor.scan import scan_paths
from workeradvisor.scan.config import ScanConfig
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
