"""Plain-text view of what ``check`` found in each file (the inventory) and its notes."""

from __future__ import annotations

from collections.abc import Sequence

from workeradvisor.check.engine import CheckReport, InventoryRow
from workeradvisor.models.scan import ScanError

COLUMNS = (("file", "path"), ("kind", "kind"), ("name", "name"), ("server", "server"), ("workers", "workers"),
           ("reload", "reload"), ("cpu limit", "cpu_limit"), ("cpu req", "cpu_request"),
           ("mem limit", "memory_limit"), ("replicas", "replicas"))


def _value(row: InventoryRow, attr: str) -> str:
    value = getattr(row, attr)
    if attr == "reload":
        return "yes" if value else "-"
    if attr == "path":
        if row.production:
            return f"{value}:{row.line}"
        return f"{value}:{row.line}" + (" (not run by a deployment file)" if row.kind == "python" else " (dev)")
    return row.display(attr) or "-"


def inventory_text(rows: Sequence[InventoryRow]) -> str:
    if not rows:
        return "(none)\n"
    table = [[h for h, _ in COLUMNS]] + [[_value(r, a) for _, a in COLUMNS] for r in rows]
    widths = [max(len(line[i]) for line in table) for i in range(len(COLUMNS))]
    out = ["  ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=True)).rstrip() for line in table]
    for r in rows:
        out.extend(f"  {r.path}: {note}" for note in r.notes)
    return "\n".join(out) + "\n"


def scan_errors(report: CheckReport) -> list[ScanError]:
    """Parse problems in the shared renderers' error shape (line kept in the message)."""
    return [ScanError(p.path, f"line {p.line}: {p.message}" if p.line else p.message) for p in report.problems]


def report_text(report: CheckReport, findings_block: str) -> str:
    """Inventory first (what the gate read), then the shared findings text, then notes."""
    parts = [f"Deployment files under {report.root}:", inventory_text(report.inventory), findings_block]
    parts.extend(f"note: {n}\n" for n in report.notes)
    return "\n".join(parts)
