"""Evidence from the scanner: run ``scan_paths`` on the checked tree."""

from __future__ import annotations

from pathlib import Path

from workeradvisor.models.scan import ScanResult


def scan_tree(root: Path) -> tuple[ScanResult | None, str]:
    """(scan result or None, note). Never raises for the scanner's own problems: check still runs."""
    from workeradvisor.scan import scan_paths  # lazily: `check --no-scan` never pays for the scanner's import

    try:
        return scan_paths([root]), ""
    except Exception as exc:  # a scanner failure must not hide the deployment findings
        return None, f"scan failed ({type(exc).__name__}: {exc}); sync-endpoint and executor checks skipped"
