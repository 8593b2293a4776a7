"""Deep trees and big files: 1,000 nested directories walk without RecursionError (check and scan
discovery), and a Kubernetes file is parsed once (the issue: 20 MB parsed twice took 32 s)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from workeradvisor import safeio
from workeradvisor.check import discover as check_discover

pytestmark = pytest.mark.parallel  # may run beside other tests (README: the first pytest step)

DEPTH = 1000


def nested_tree(root: Path, depth: int = DEPTH) -> Path:
    """``root/d/d/.../d`` ``depth`` levels deep, with files at the bottom (os.makedirs recurses: a loop)."""
    leaf = root
    for _ in range(depth):
        leaf = leaf / "d"
        leaf.mkdir()
    (leaf / "Procfile").write_text("web: uvicorn app:app --reload\n", encoding="utf-8")
    (leaf / "app.py").write_text("import time\n\nasync def handler():\n    time.sleep(1)\n", encoding="utf-8")
    return leaf


def remove_nested(root: Path) -> None:
    """Bottom-up, in a loop: pytest's tmp_path cleanup (shutil.rmtree) recurses and hits the limit."""
    dirs = [root / "d"]
    while (dirs[-1] / "d").is_dir():
        dirs.append(dirs[-1] / "d")
    for d in reversed(dirs):
        for f in d.iterdir():
            if f.is_file():
                f.unlink()
        d.rmdir()


@pytest.fixture()
def deep(tmp_path: Path) -> Iterator[Path]:
    leaf = nested_tree(tmp_path)
    yield leaf
    remove_nested(tmp_path)


def test_check_walks_1000_nested_directories(tmp_path: Path, deep: Path) -> None:
    leaf = deep
    files = check_discover.iter_files(tmp_path)
    assert leaf / "Procfile" in files and leaf / "app.py" in files
    units, problems, _ = check_discover.discover(tmp_path)
    assert not problems and [u.kind for u in units] == ["procfile"]


def test_check_walk_order_and_skips(tmp_path: Path) -> None:
    for rel in ("b/Dockerfile", "a/z/Procfile", "a/Dockerfile", "node_modules/Dockerfile", "x.egg-info/Dockerfile"):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text("FROM x\n", encoding="utf-8")
    (tmp_path / "link").symlink_to(tmp_path / "a")  # a symlinked directory is not followed
    got = [p.relative_to(tmp_path).as_posix() for p in check_discover.iter_files(tmp_path)]
    assert got == ["a/Dockerfile", "a/z/Procfile", "b/Dockerfile"]


def test_scan_walks_1000_nested_directories(tmp_path: Path, deep: Path) -> None:
    from workeradvisor.scan import discover as scan_discover

    leaf = deep
    files, errors = scan_discover.discover([tmp_path], cwd=str(tmp_path))
    assert [f.path for f in files] == [str(leaf / "app.py")]
    assert not errors


def test_kubernetes_yaml_is_parsed_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    created: list[object] = []
    original = safeio.BoundedSafeLoader.__init__

    def counting_init(self: safeio.BoundedSafeLoader, stream: str | bytes) -> None:
        created.append(self)
        original(self, stream)

    monkeypatch.setattr(safeio.BoundedSafeLoader, "__init__", counting_init)
    (tmp_path / "deploy.yaml").write_text(kubernetes_yaml(2), encoding="utf-8")
    units, problems, _ = check_discover.discover(tmp_path)
    assert len(units) == 2 and not problems
    assert len(created) == 1


def kubernetes_yaml(count: int) -> str:
    doc = ("apiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: web{i}}}\nspec:\n  replicas: 2\n"
           "  template:\n    spec:\n      containers:\n      - name: app\n        image: example/app:{i}\n"
           "        command: [uvicorn, app:app, --workers, '4']\n        env:\n        - {{name: A, value: '1'}}\n"
           "        resources:\n          limits: {{cpu: '2', memory: 1Gi}}\n"
           "          requests: {{cpu: 500m, memory: 512Mi}}\n---\n")
    return "".join(doc.format(i=i) for i in range(count))


MB = 1024 * 1024
BIG_YAML_MB = 5  # ~5 s of CPU here; 20 MB took 45 s of the suite's time for the same per-MB check
CPU_S_PER_MB = 4.0  # ~2.2 here; linear in the size (worse than linear fails; parsed-once is the fast test above)


@pytest.mark.live  # seconds of CPU: with the live tests, not in the fast subset
def test_big_kubernetes_yaml_within_a_linear_budget(tmp_path: Path) -> None:
    text = kubernetes_yaml(1)
    (tmp_path / "deploy.yaml").write_text(kubernetes_yaml(BIG_YAML_MB * MB // len(text) + 1), encoding="utf-8")
    assert (tmp_path / "deploy.yaml").stat().st_size > BIG_YAML_MB * MB
    start = time.process_time()
    units, problems, _ = check_discover.discover(tmp_path)
    elapsed = time.process_time() - start
    assert not problems and len(units) > 2_000 * BIG_YAML_MB
    assert elapsed < CPU_S_PER_MB * BIG_YAML_MB, f"{elapsed:.1f} s of CPU for one {BIG_YAML_MB} MB Kubernetes file"


def test_a_fifo_named_gitignore_does_not_hang_the_scan(tmp_path: Path) -> None:
    import os
    import signal

    from workeradvisor.scan import discover as scan_discover

    os.mkfifo(tmp_path / ".gitignore")
    (tmp_path / "app.py").write_text("async def ok():\n    return 1\n")
    signal.signal(signal.SIGALRM, lambda *_: (_ for _ in ()).throw(TimeoutError("scan hung on the FIFO")))
    signal.alarm(10)
    try:
        files, _errors = scan_discover.discover([tmp_path], cwd=str(tmp_path))
    finally:
        signal.alarm(0)
    assert [f.display for f in files] == ["app.py"]
