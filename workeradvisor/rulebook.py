"""Rules are data: load, validate and look up the ``rules/*.yaml`` files.

One schema serves the scanner (``scan``) and the deployment gate (``check``). A rule file is
a YAML mapping ``{"rules": [ {...}, ... ]}``; every rule has:

  id        "WA" + digits, unique            name      kebab-case short name
  category  e.g. "blocking-http"             severity  "error" | "warning" | "info"
  message   one line, may use {symbol}       fix       one-line fix hint
  docs      markdown paragraph(s)            match     optional mapping (scanner-specific keys)

Files are read with ``safeio`` only (``yaml.safe_load``'s types, a size cap, an alias budget).
Any problem is a ``ConfigError`` naming the file
(and rule) in one line, which the CLI turns into exit code 2.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from workeradvisor.errors import ConfigError
from workeradvisor.safeio import MAX_CONFIG_FILE, load_yaml, read_bounded

SEVERITIES = ("error", "warning", "info")
_ID_RE = re.compile(r"^WA\d{3,4}$")
_REQUIRED = ("id", "name", "category", "severity", "message", "fix", "docs")


@dataclass(frozen=True)
class Rule:
    id: str
    name: str
    category: str
    severity: str
    message: str
    fix: str
    docs: str
    match: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)
    source: str = ""  # file the rule came from


def builtin_rules_dir() -> Path:
    """The bundled ``rules/`` directory: inside the wheel, or the source checkout's."""
    packaged = resources.files("workeradvisor") / "_rules"
    if packaged.is_dir():
        return Path(str(packaged))
    return Path(__file__).resolve().parent.parent / "rules"


def _parse_rule(raw: Any, source: Path, index: int) -> Rule:
    where = f"{source}: rule #{index + 1}"
    if not isinstance(raw, dict):
        raise ConfigError(f"{where}: expected a mapping, got {type(raw).__name__}")
    missing = [k for k in _REQUIRED if not (isinstance(raw.get(k), str) and str(raw[k]).strip())]
    if missing:
        raise ConfigError(f"{where} ({raw.get('id', '?')}): missing or empty {', '.join(missing)}")
    if not _ID_RE.match(raw["id"]):
        raise ConfigError(f"{where}: id {raw['id']!r} is not 'WA' followed by 3-4 digits")
    if raw["severity"] not in SEVERITIES:
        raise ConfigError(f"{where} ({raw['id']}): severity must be one of {', '.join(SEVERITIES)}")
    match = raw.get("match", {}) or {}
    if not isinstance(match, dict):
        raise ConfigError(f"{where} ({raw['id']}): 'match' must be a mapping")
    return Rule(
        id=raw["id"],
        name=raw["name"].strip(),
        category=raw["category"].strip(),
        severity=raw["severity"],
        message=raw["message"].strip(),
        fix=raw["fix"].strip(),
        docs=raw["docs"].strip(),
        match=match,
        source=str(source),
    )


def load_rule_file(path: Path) -> list[Rule]:
    data = load_yaml(read_bounded(path, "rule file", MAX_CONFIG_FILE), str(path))
    if data is None:
        return []
    if not isinstance(data, dict) or not isinstance(data.get("rules"), list):
        raise ConfigError(f"{path}: expected a mapping with a 'rules' list")
    return [_parse_rule(r, path, i) for i, r in enumerate(data["rules"])]


def load_rules(extra_dirs: Iterable[Path] = (), include_builtin: bool = True) -> dict[str, Rule]:
    """All rules by id, built-ins first; a duplicate id is a config error."""
    dirs = ([builtin_rules_dir()] if include_builtin else []) + [Path(d) for d in extra_dirs]
    rules: dict[str, Rule] = {}
    for d in dirs:
        if not d.is_dir():
            raise ConfigError(f"{d}: rules directory not found")
        for path in sorted(d.glob("*.yaml")) + sorted(d.glob("*.yml")):
            if path.name == "decision.yaml":  # the decision tree has its own schema
                continue
            for rule in load_rule_file(path):
                if rule.id in rules:
                    raise ConfigError(f"{path}: duplicate rule id {rule.id} (also in {rules[rule.id].source})")
                rules[rule.id] = rule
    return rules
