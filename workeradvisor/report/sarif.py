"""SARIF 2.1.0 for GitHub code scanning: rules in ``tool.driver.rules``, stable ``ruleId`` and
``partialFingerprints`` that survive line shifts (rule, path, function, symbol, occurrence)."""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import quote

from workeradvisor import __version__
from workeradvisor.models.scan import Finding, ScanError
from workeradvisor.rulebook import Rule

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
_LEVEL = {"error": "error", "warning": "warning", "info": "note"}
_PROBLEM = {"error": "error", "warning": "warning", "info": "recommendation"}  # GitHub's problem.severity


def _rule(rule: Rule) -> dict[str, Any]:
    first = rule.docs.strip().split("\n\n")[0].replace("\n", " ")
    return {
        "id": rule.id,
        "name": "".join(p.capitalize() for p in rule.name.split("-")),
        "shortDescription": {"text": rule.name},
        "fullDescription": {"text": first},
        "help": {"text": f"{rule.docs}\n\nFix: {rule.fix}", "markdown": f"{rule.docs}\n\n**Fix:** {rule.fix}"},
        "defaultConfiguration": {"level": _LEVEL[rule.severity]},
        "properties": {"tags": [rule.category], "precision": "high", "problem.severity": _PROBLEM[rule.severity]},
    }


def _fingerprint(f: Finding, occurrence: int) -> str:
    key = "\0".join((f.rule, f.path, f.function, f.symbol, str(occurrence)))
    return hashlib.sha256(key.encode("utf-8", "surrogateescape")).hexdigest()[:32]


def _uri(path: str) -> str:
    """A file name as a URI reference: its bytes percent-encoded (RFC 3986). A name that is not
    UTF-8 (byte 0xFF decodes to a lone surrogate) becomes ``%FF`` instead of crashing the report."""
    return quote(path.encode("utf-8", "surrogateescape"), safe="/:@!$&'()*+,;=-._~")


def _text(text: str) -> str:
    """Message text with undecodable file-name bytes shown as ``\\xff`` (JSON cannot carry them)."""
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def document(findings: Sequence[Finding], rules: Mapping[str, Rule], *, errors: Sequence[ScanError] = (),
             **_: Any) -> dict[str, Any]:
    used = sorted({f.rule for f in findings} | set(rules))
    ordered = [rules[r] for r in used if r in rules]
    index = {r.id: i for i, r in enumerate(ordered)}
    seen: Counter[tuple[str, str, str, str]] = Counter()
    results = []
    for f in findings:
        key = (f.rule, f.path, f.function, f.symbol)
        seen[key] += 1
        message = f.message + (f" (chain: {f.chain_text})" if f.chain else "") + f". Fix: {f.fix}"
        result: dict[str, Any] = {
            "ruleId": f.rule,
            "level": _LEVEL.get(f.severity, "warning"),
            "message": {"text": message},
            "locations": [{"physicalLocation": {
                "artifactLocation": {"uri": _uri(f.path), "uriBaseId": "%SRCROOT%"},
                "region": {"startLine": max(1, f.line), "startColumn": f.col + 1},
            }}],
            "partialFingerprints": {"workeradvisorFinding/v1": _fingerprint(f, seen[key])},
        }
        if f.rule in index:
            result["ruleIndex"] = index[f.rule]
        results.append(result)
    notes = [{"level": "warning", "message": {"text": _text(f"{e.path}: {e.message}")},
              "locations": [{"physicalLocation": {"artifactLocation": {"uri": _uri(e.path),
                                                                       "uriBaseId": "%SRCROOT%"}}}]}
             for e in errors]
    return {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "workeradvisor",
                "version": __version__,
                "informationUri": "https://github.com/workeradvisor/workeradvisor",
                "rules": [_rule(r) for r in ordered],
            }},
            "invocations": [{"executionSuccessful": True, "toolExecutionNotifications": notes}],
            "results": results,
        }],
    }


def render(findings: Sequence[Finding], rules: Mapping[str, Rule], **kwargs: Any) -> str:
    return json.dumps(document(findings, rules, **kwargs), indent=2) + "\n"
