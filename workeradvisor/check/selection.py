"""Which check rules run: ``[tool.workeradvisor]`` select/ignore plus ``check --select/--ignore``.

One pyproject section serves both ``scan`` and ``check``: an id or prefix is a check code when it
names a WA5xx rule and a scan code when it names a scan rule (``WA`` is both). The check keeps its
own codes and hands only the scan codes to the scan that gathers its evidence, so
``ignore = ["WA506"]`` silences WA506 without disturbing the scan part.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping, Sequence

from workeradvisor.errors import ConfigError
from workeradvisor.models.scan import Finding
from workeradvisor.rulebook import Rule
from workeradvisor.scan.config import ScanConfig

CHECK_PREFIX = "WA5"


def split_ids(values: Iterable[str] | None) -> tuple[str, ...]:
    """``--select WA501,WA506 --select WA510`` -> the ids, upper case."""
    return tuple(v.strip().upper() for raw in values or () for v in raw.split(",") if v.strip())


def _matches(code: str, rule_ids: Iterable[str]) -> bool:
    return any(r.startswith(code.upper()) for r in rule_ids)


def validate(codes: Sequence[str], known: Iterable[str], where: str) -> None:
    ids = list(known)
    for code in codes:
        if not _matches(code, ids):
            raise ConfigError(f"{where}: unknown rule or prefix {code!r} (see `workeradvisor rules`)")


def chosen(findings: Sequence[Finding], select: Sequence[str], ignore: Sequence[str]) -> tuple[Finding, ...]:
    """Ruff semantics over check findings: select (codes that name check rules) restricts, ignore removes."""
    picks = [c for c in select if _check_code(c)]
    out = [f for f in findings if not picks or any(f.rule.startswith(c.upper()) for c in picks)]
    return tuple(f for f in out if not any(f.rule.startswith(c.upper()) for c in ignore))


def check_rules(rules: Mapping[str, Rule], select: Sequence[str], ignore: Sequence[str]) -> dict[str, Rule]:
    """The WA5xx rules left after select/ignore (what SARIF and Markdown list as checked)."""
    picks = [c for c in select if _check_code(c)]
    return {rid: r for rid, r in rules.items() if rid.startswith(CHECK_PREFIX)
            and (not picks or any(rid.startswith(c.upper()) for c in picks))
            and not any(rid.startswith(c.upper()) for c in ignore)}


def _check_code(code: str) -> bool:
    c = code.upper()
    return c.startswith(CHECK_PREFIX) or CHECK_PREFIX.startswith(c)


def scan_part(config: ScanConfig) -> ScanConfig:
    """The config for the evidence scan: check-only codes removed (a select of only check codes
    selects every scan rule: the evidence is still needed)."""
    def scan_code(code: str) -> bool:
        return not code.upper().startswith(CHECK_PREFIX)
    return dataclasses.replace(config, select=tuple(c for c in config.select if scan_code(c)),
                               ignore=tuple(c for c in config.ignore if scan_code(c)))
