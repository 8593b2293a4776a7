"""Bad input never stops the scan: each bad file is one line in ``errors`` and the good file is still scanned.

Unreadable files: the suite runs as root, for whom ``chmod 000`` changes nothing. The permission case
therefore runs the scanner in a child process that first drops to uid/gid 65534 (nobody) with
``os.setgid``/``os.setuid``, on a world-traversable temporary directory; it is skipped when not root.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from conftest import run_cli

from workeradvisor.scan import scan_paths
from workeradvisor.scan.config import ScanConfig

pytestmark = pytest.mark.parallel  # may run beside other tests (README: the first pytest step)

GOOD = "import time\n\nasync def handler():\n    time.sleep(1)\n"


def build_corpus(root: Path) -> dict[str, str]:
    """Write the corpus; returns {relative path: expected phrase in its error}."""
    (root / "good.py").write_text(GOOD)
    (root / "syntax.py").write_text("def broken(:\n    pass\n")
    (root / "nul.py").write_bytes(b"x = 1\x00\n")
    (root / "latin1.py").write_bytes(b"name = '\xe9t\xe9'\n")
    (root / "py2.py").write_text('print "hello"\nexec "x = 1"\n')
    (root / "huge.py").write_text("# padding\n" * 600_000)  # 6 MB
    (root / "deep.py").write_text("x = 1" + "+1" * 30_000 + "\n")
    (root / "self_loop.py").symlink_to("self_loop.py")
    (root / "dangling.py").symlink_to("missing_target.py")
    os.mkfifo(root / "fifo.py")
    (root / "empty").mkdir()
    (root / "pkg").mkdir()
    (root / "pkg" / "mod.py").write_text("x = 1\n")
    (root / "pkg" / "back").symlink_to("..")
    return {
        "syntax.py": "syntax error at line 1",
        "nul.py": "NUL byte",
        "latin1.py": "not valid UTF-8",
        "py2.py": "Python 2",
        "huge.py": "file too large",
        "deep.py": "too deeply nested",
        "self_loop.py": "symlink loop",
        "dangling.py": "broken symlink",
        "fifo.py": "not a regular file (FIFO)",
        "pkg/back": "symlink loop",
    }


def test_bad_input_corpus(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "corpus").mkdir()
    expected = build_corpus(tmp_path / "corpus")
    monkeypatch.chdir(tmp_path)
    result = scan_paths(["corpus"], config=ScanConfig(), jobs=1)
    errors = {e.path: e.message for e in result.errors}
    for rel, phrase in expected.items():
        path = f"corpus/{rel}"
        assert path in errors, f"{path} not reported; errors: {errors}"
        assert phrase in errors[path], (path, errors[path])
        assert "\n" not in errors[path]
    assert len(errors) == len(expected), errors  # the empty directory is skipped silently (ruff, flake8)
    assert result.files_scanned == 2  # good.py and pkg/mod.py
    assert [(f.path, f.rule) for f in result.findings] == [("corpus/good.py", "WA111")]


@pytest.mark.live
def test_bad_input_cli_no_traceback(tmp_path: Path) -> None:
    (tmp_path / "corpus").mkdir()
    build_corpus(tmp_path / "corpus")
    proc = run_cli("scan", "corpus", "--format", "json", cwd=tmp_path)
    assert "Traceback" not in proc.stderr
    assert proc.returncode == 1  # the good file's time.sleep is an error finding
    doc = json.loads(proc.stdout)
    assert len(doc["errors"]) == 10  # the empty directory is skipped silently
    assert all(set(e) == {"path", "message"} for e in doc["errors"])


def test_missing_path_is_an_error_entry(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "ok.py").write_text("x = 1\n")
    monkeypatch.chdir(tmp_path)
    result = scan_paths(["ok.py", "nope"], config=ScanConfig(), jobs=1)
    assert [(e.path, e.message) for e in result.errors] == [("nope", "no such file or directory")]
    assert result.files_scanned == 1


@pytest.mark.live
@pytest.mark.skipif(os.geteuid() != 0 or not hasattr(os, "setuid"), reason="needs root to drop privileges")
def test_unreadable_file_and_directory_as_unprivileged_user() -> None:
    base = Path(tempfile.mkdtemp(prefix="wa-unreadable-", dir="/tmp"))
    try:
        base.chmod(0o755)
        (base / "good.py").write_text(GOOD)
        secret = base / "secret.py"
        secret.write_text("x = 1\n")
        secret.chmod(0o000)
        locked = base / "locked"
        locked.mkdir()
        (locked / "inner.py").write_text("x = 1\n")
        locked.chmod(0o000)
        (base / "good.py").chmod(0o644)
        code = (
            "import os, json;"  # import first: the interpreter's own files may not be readable by nobody
            "from workeradvisor.scan import scan_paths, scan_rules; from workeradvisor.scan.config import ScanConfig;"
            "scan_rules();"
            f"os.setgid(65534); os.setuid(65534); os.chdir({str(base)!r});"
            "r = scan_paths(['.'], config=ScanConfig(), jobs=1);"
            "print(json.dumps(r.to_dict()))"
        )
        env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
        proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, env=env)
        assert proc.returncode == 0, proc.stderr
        doc = json.loads(proc.stdout)
        errors = {e["path"]: e["message"] for e in doc["errors"]}
        assert "Permission denied" in errors["secret.py"]
        assert "cannot read directory: Permission denied" in errors["locked"]
        assert doc["files_scanned"] == 1
        assert [f["rule"] for f in doc["findings"]] == ["WA111"]
    finally:
        for p in (base / "locked", base / "secret.py"):
            p.chmod(0o700)
        shutil.rmtree(base, ignore_errors=True)
