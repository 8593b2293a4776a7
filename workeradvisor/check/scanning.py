"""Evidence from the scanner: run ``scan_paths`` on the checked tree."""

from __future__ import annotations

from pathlib import Path

from workeradvisor.check.selection import scan_part
from workeradvisor.models.scan import ScanResult
from workeradvisor.scan.config import ScanConfig


def scan_tree(root: Path, config: ScanConfig | None = None) -> tuple[ScanResult | None, str]:
    """(scan result or None, note). Never raises for the scanner's own problems: check still runs.
    ``config``'s check-rule codes (WA5xx) are removed first: they are not the scanner's business."""
    from workeradvisor.scan import scan_paths  # lazily: `check --no-scan` never pays for the scanner's import
    from workeradvisor.scan.config import load_config

    try:
        return scan_paths([root], config=scan_part(config or load_config(Path.cwd()))), ""
    except Exception as exc:  # a scanner failure must not hide the deployment findings
        return None, f"scan failed ({type(exc).__name__}: {exc}); sync-endpoint and executor checks skipped"
