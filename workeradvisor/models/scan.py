"""Results of the static scan. JSON shape is documented in docs/json.md (version 1)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class ChainSite:
    """One step of a call chain: a project function (where it is defined) or, last, the call that
    blocks (where it is called). Carried as data end to end; text is only made for display."""

    symbol: str  # e.g. "gateway.post_charge" or, last, "requests.post"
    path: str = ""  # relative to the current directory, "/" separators; "" when unknown
    line: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {"symbol": self.symbol, "path": self.path, "line": self.line}

    def located(self) -> str:
        """``symbol (path:line)``, the form the last step of a chain is shown in."""
        return f"{self.symbol} ({self.path}:{self.line})" if self.path else self.symbol


def chain_text(chain: tuple[ChainSite, ...]) -> tuple[str, ...]:
    """The human form of a chain: function names, then the blocking call with its location."""
    return tuple(c.located() if i == len(chain) - 1 else c.symbol for i, c in enumerate(chain))


@dataclass(frozen=True)
class Finding:
    rule: str  # e.g. "WA101"
    name: str  # rule name, e.g. "blocking-http-call"
    category: str  # e.g. "blocking-http"
    severity: str  # "error" | "warning" | "info"
    path: str  # relative to the current directory, "/" separators
    line: int
    col: int
    function: str  # enclosing function's qualified name, e.g. "app.main.charge"
    symbol: str  # the matched qualified name, e.g. "requests.post"
    message: str
    fix: str
    # e.g. charge -> gateway.post_charge -> requests.post at billing/gateway.py:40
    chain: tuple[ChainSite, ...] = ()

    @property
    def chain_text(self) -> str:
        return " -> ".join(chain_text(self.chain))

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["chain"] = list(chain_text(self.chain))  # human form, as in version 1
        d["chain_sites"] = [c.to_dict() for c in self.chain]
        return d


@dataclass(frozen=True)
class ScanError:
    path: str
    message: str  # one line

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class ScanSummary:
    files_scanned: int
    async_functions: int
    sync_functions: int
    async_endpoints: int
    sync_endpoints: int
    findings_by_category: tuple[tuple[str, int], ...] = ()
    findings_by_severity: tuple[tuple[str, int], ...] = ()

    @property
    def async_ratio(self) -> float:
        """Seed 000's "async ratio": share of endpoints that are ``async def``."""
        total = self.async_endpoints + self.sync_endpoints
        return self.async_endpoints / total if total else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "files_scanned": self.files_scanned,
            "async_functions": self.async_functions,
            "sync_functions": self.sync_functions,
            "async_endpoints": self.async_endpoints,
            "sync_endpoints": self.sync_endpoints,
            "async_ratio": round(self.async_ratio, 4),
            "findings_by_category": dict(self.findings_by_category),
            "findings_by_severity": dict(self.findings_by_severity),
        }


@dataclass(frozen=True)
class Route:
    """A FastAPI/Starlette/aiohttp route found by decorator (``@app.get("/items/{id}")``)."""

    method: str  # "GET", "POST", ...
    path: str  # including a module-level APIRouter(prefix=...); include_router prefixes are not known
    function: str  # qualified name, e.g. "app.main.read_item"
    file: str  # relative to the current directory
    line: int
    is_async: bool
    has_path_params: bool

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class ScanResult:
    files_scanned: int
    findings: tuple[Finding, ...]
    errors: tuple[ScanError, ...]
    summary: ScanSummary
    version: int = 1
    routes: tuple[Route, ...] = ()  # discovered routes, for analyze (not part of the JSON v1 output)

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "files_scanned": self.files_scanned,
            "errors": [e.to_dict() for e in self.errors],
            "summary": self.summary.to_dict(),
            "findings": [f.to_dict() for f in self.findings],
        }
