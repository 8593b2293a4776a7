"""Turn a rule plus the facts a check found into a scan-compatible ``Finding``."""

from __future__ import annotations

from typing import Any

from workeradvisor.models.scan import Finding
from workeradvisor.rulebook import Rule


class _Fields(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def emit(rule: Rule, path: str, line: int, symbol: str = "", **facts: Any) -> Finding:
    fields = _Fields(symbol=symbol, **facts)
    return Finding(
        rule=rule.id, name=rule.name, category=rule.category, severity=rule.severity,
        path=path, line=max(line, 1), col=0, function="", symbol=symbol,
        message=rule.message.format_map(fields), fix=rule.fix.format_map(fields),
    )
