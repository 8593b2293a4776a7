"""Shared helpers for the check tests: expected findings are written in the fixture files.

``# expect: WA501,WA505`` on a line means those rules fire on that line; ``# expect-next: ...``
means on the next line (Dockerfile and systemd allow comments only on their own line).
"""

from __future__ import annotations

import re
from pathlib import Path

from workeradvisor.check.analysis import load_analysis
from workeradvisor.check.engine import CheckReport, run_check
from workeradvisor.models.scan import ScanResult
from workeradvisor.rulebook import load_rules

FIXTURES = Path(__file__).parent / "fixtures" / "check"
_MARK = re.compile(r"expect(-next)?:\s*(WA\d{3}(?:\s*,\s*WA\d{3})*)")
RULES = load_rules()


def expected_findings(root: Path) -> set[tuple[str, int, str]]:
    found = set()
    for path in sorted(root.rglob("*")):
        if not path.is_file() or path.suffix == ".json":
            continue
        for no, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            m = _MARK.search(line)
            if m:
                target = no + 1 if m.group(1) else no
                rel = path.relative_to(root).as_posix()
                found.update((rel, target, r.strip()) for r in m.group(2).split(","))
    return found


def run_fixture(root: Path, monkeypatch, host_cpus: int = 2, analysis: str | None = None,
                scan: ScanResult | None = None, **kwargs: object) -> CheckReport:
    """Run the engine from inside ``root`` so paths are relative, as in a CI checkout."""
    monkeypatch.chdir(root)
    saved = load_analysis(Path(analysis)) if analysis else None
    return run_check(Path("."), RULES, lambda: host_cpus, analysis=saved, scan=scan, **kwargs)  # type: ignore[arg-type]


def actual_findings(report: CheckReport) -> set[tuple[str, int, str]]:
    return {(f.path, f.line, f.rule) for f in report.findings}
