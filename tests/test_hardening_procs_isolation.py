"""Children start isolated (issue 12): nothing in the working directory shadows workeradvisor or the stdlib.

Before: generators ran ``python -m workeradvisor.load.child`` with the caller's directory first
on ``sys.path``: a ``workeradvisor/`` package there was executed, a ``json.py`` broke ``load``.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from workeradvisor.launch import RunningServer, serve

pytestmark = [pytest.mark.live, pytest.mark.parallel]

APP = str(Path(__file__).parent / "apps" / "load_target.py") + ":app"
CLI = str(Path(sys.executable).parent / "workeradvisor")


@pytest.fixture(scope="module")
def server() -> Iterator[RunningServer]:
    with serve(APP) as srv:
        yield srv


def _hostile_dir(root: Path, marker: Path) -> Path:
    work = root / "work"
    (work / "workeradvisor" / "load").mkdir(parents=True)
    payload = f"open({str(marker)!r}, 'a').write(__name__ + '\\n')\n"
    (work / "workeradvisor" / "__init__.py").write_text(payload)
    (work / "workeradvisor" / "load" / "__init__.py").write_text(payload)
    (work / "workeradvisor" / "load" / "child.py").write_text(payload)
    (work / "json.py").write_text(payload + "raise SystemExit('shadowed json imported')\n")
    (work / "asyncio.py").write_text(payload)
    return work


def test_load_from_a_directory_with_a_fake_package_and_json_py(server: RunningServer, tmp_path: Path) -> None:
    marker = tmp_path / "marker"
    work = _hostile_dir(tmp_path, marker)
    out = subprocess.run([CLI, "load", server.base_url + "/", "--ccu", "2", "--stage-seconds", "0.5", "--warmup", "0",
                          "--processes", "2", "--format", "json"], cwd=work, capture_output=True, text=True,
                         timeout=60)
    assert not marker.exists(), f"code from the working directory ran: {marker.read_text()}"
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["stages"][0]["requests"] > 0


def test_the_server_does_not_import_uvicorn_from_the_app_directory(tmp_path: Path) -> None:
    """uvicorn starts with -P: a stray ``uvicorn.py`` beside the app (its cwd) is not run as uvicorn;
    the app itself is still imported from --app-dir."""
    marker = tmp_path / "marker"
    app_dir = tmp_path / "app"
    app_dir.mkdir()
    (app_dir / "svc.py").write_text((Path(__file__).parent / "apps" / "load_target.py").read_text())
    (app_dir / "uvicorn.py").write_text(f"open({str(marker)!r}, 'a').write('uvicorn shadowed\\n')\n")
    with serve(str(app_dir / "svc.py") + ":app") as srv:
        assert srv.port > 0
    assert not marker.exists(), marker.read_text()
