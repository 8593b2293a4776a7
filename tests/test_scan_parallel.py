"""Worker processes must not change the result: same findings, errors and order as one process."""

from __future__ import annotations

from pathlib import Path

import pytest

from workeradvisor.scan import scan_paths
from workeradvisor.scan.config import ScanConfig
from workeradvisor.scan.engine import PARALLEL_MIN_FILES

pytestmark = pytest.mark.parallel  # may run beside other tests (README: the first pytest step)

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "scan"


@pytest.mark.live  # jobs=2 starts a process pool
def test_parallel_scan_is_deterministic(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    sources = sorted(p for p in FIXTURES.glob("*.py"))
    n = 0
    while n < PARALLEL_MIN_FILES * 2:
        for src in sources:
            d = tmp_path / f"pkg{n // len(sources)}"
            d.mkdir(exist_ok=True)
            (d / src.name).write_text(src.read_text())
            n += 1
    (tmp_path / "broken.py").write_text("def (:\n")
    monkeypatch.chdir(tmp_path)
    one = scan_paths(["."], config=ScanConfig(), jobs=1)
    two = scan_paths(["."], config=ScanConfig(), jobs=2)
    assert one.files_scanned == n
    assert one.findings and one.findings == two.findings
    assert one.errors == two.errors and len(one.errors) == 1
    assert one.summary == two.summary
    assert one.routes == two.routes
