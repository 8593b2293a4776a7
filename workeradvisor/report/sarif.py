"""SARIF 2.1.0 for GitHub code scanning.

Why the shape is what it is: code scanning maps a result to a file by its URI relative to the
repository root, so URIs are made relative to ``source_root`` (the git root above the scanned path)
and declared under ``originalUriBaseIds["%SRCROOT%"]``; ``scan`` and ``check`` are separate runs with
their own ``automationDetails.id`` and driver name so both can be uploaded for one commit; call
chains become ``codeFlows`` (and ``relatedLocations``) so the alert shows every hop; fingerprints
survive line shifts (rule, path, function, symbol, occurrence).
"""

from __future__ import annotations

import hashlib
import os
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import quote

from workeradvisor import __version__
from workeradvisor.jsonsafe import dumps  # never NaN/Infinity in the JSON we write
from workeradvisor.models.scan import Finding, ScanError
from workeradvisor.rulebook import Rule

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
SRCROOT = "%SRCROOT%"
_LEVEL = {"error": "error", "warning": "warning", "info": "note"}
_PROBLEM = {"error": "error", "warning": "warning", "info": "recommendation"}  # GitHub's problem.severity
_DRIVER = {"scan": "workeradvisor-scan", "check": "workeradvisor-check"}
_PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")
_WORDS = {"allowed": "the CPU limit rounded up", "fits": "the count that fits", "total": "the total needed",
          "recommended": "the recommended count", "symbol": "the call", "fix": "the fix the message names"}


def repository_root(paths: Iterable[str | os.PathLike[str]], cwd: str | None = None) -> str:
    """The git root above the first scanned path, else the nearest directory with pyproject.toml or
    .git, else the current directory: what code scanning calls the checkout root."""
    here = os.path.abspath(cwd or os.getcwd())
    first = next(iter(paths), here)
    start = Path(os.path.abspath(os.path.join(here, os.fspath(first))))
    if not start.is_dir():
        start = start.parent
    chain = (start, *start.parents)
    for marker in (".git", "pyproject.toml"):
        for d in chain:
            if (d / marker).exists():
                return str(d)
    return here


def _uri(path: str, root: str | None) -> str:
    """``path`` (relative to the cwd) as a URI reference relative to ``root``; undecodable bytes are
    percent-encoded, never a crash."""
    rel = os.path.relpath(os.path.abspath(path), root) if root else path
    raw = os.fsencode(rel.replace(os.sep, "/"))
    return quote(raw, safe="/-._~!$&'()*+,;=:@")


def _text(text: str) -> str:
    """Message text as valid Unicode: undecodable file-name bytes (surrogate escapes) shown as ``\\xff``."""
    try:
        return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    except UnicodeEncodeError:  # a lone surrogate that is not an escaped byte
        return text.encode("utf-8", "replace").decode("utf-8")


def _plain(text: str) -> str:
    """Rule text with every ``{placeholder}`` replaced by words (help has no finding to fill it from)."""
    return _PLACEHOLDER.sub(lambda m: _WORDS.get(m.group(1), "the " + m.group(1).replace("_", " ")), text)


def _rule(rule: Rule, help_uri: str | None) -> dict[str, Any]:
    docs = _plain(rule.docs.strip())
    first = docs.split("\n\n")[0].replace("\n", " ")
    fix = _plain(rule.fix)
    out: dict[str, Any] = {
        "id": rule.id,
        "name": "".join(p.capitalize() for p in rule.name.split("-")),
        "shortDescription": {"text": rule.name},
        "fullDescription": {"text": first},
        "help": {"text": f"{docs}\n\nFix: {fix}", "markdown": f"{docs}\n\n**Fix:** {fix}"},
        "defaultConfiguration": {"level": _LEVEL[rule.severity]},
        "properties": {"tags": [rule.category], "precision": "high", "problem.severity": _PROBLEM[rule.severity]},
    }
    if help_uri:
        out["helpUri"] = help_uri + "#" + rule.id.lower()
    return out


def _fingerprint(f: Finding, occurrence: int) -> str:
    key = "\0".join((f.rule, f.path, f.function, f.symbol, str(occurrence)))
    return hashlib.sha256(key.encode("utf-8", "surrogateescape")).hexdigest()[:32]


def _location(path: str, line: int, root: str | None, col: int | None = None, text: str = "") -> dict[str, Any]:
    region: dict[str, Any] = {"startLine": max(1, line)}
    if col is not None:
        region["startColumn"] = col + 1
    loc: dict[str, Any] = {"physicalLocation": {"artifactLocation": {"uri": _uri(path, root), "uriBaseId": SRCROOT},
                                                "region": region}}
    if text:
        loc["message"] = {"text": _text(text)}
    return loc


def _flow(f: Finding, root: str | None) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(codeFlows, relatedLocations) for a finding reached through a chain of project functions:
    the flow starts at the finding's own location, then each hop down to the blocking call."""
    sites = [site for site in f.chain if site.path]
    flow = [_location(site.path, site.line, root, text=site.symbol) for site in sites]
    if not sites or (sites[0].path, sites[0].line) != (f.path, f.line):
        flow.insert(0, _location(f.path, f.line, root, f.col, text=f.function or f.symbol))
    hops = [site for site in sites if (site.path, site.line) != (f.path, f.line)]
    related = [dict(_location(site.path, site.line, root, text=site.symbol), id=i + 1) for i, site in enumerate(hops)]
    return [{"threadFlows": [{"locations": [{"location": loc} for loc in flow]}]}], related


def _result(f: Finding, occurrence: int, index: Mapping[str, int], root: str | None) -> dict[str, Any]:
    chain = f" (chain: {f.chain_text})" if f.chain else ""
    result: dict[str, Any] = {
        "ruleId": f.rule,
        "level": _LEVEL.get(f.severity, "warning"),
        "message": {"text": _text(f"{f.message}{chain}. Fix: {f.fix}")},
        "locations": [_location(f.path, f.line, root, f.col)],
        "partialFingerprints": {"workeradvisorFinding/v1": _fingerprint(f, occurrence)},
    }
    if f.rule in index:
        result["ruleIndex"] = index[f.rule]
    if any(site.path for site in f.chain):
        result["codeFlows"], related = _flow(f, root)
        if related:
            result["relatedLocations"] = related
    return result


def document(findings: Sequence[Finding], rules: Mapping[str, Rule], *, errors: Sequence[ScanError] = (),
             source_root: str | None = None, kind: str = "scan", help_uri: str | None = None,
             notes: Sequence[str] = (), **_: Any) -> dict[str, Any]:
    """``kind`` is "scan" or "check": it names the driver and the ``automationDetails.id`` category.
    ``notes`` (e.g. "no deployment files found") become note-level tool notifications."""
    used = sorted({f.rule for f in findings} | set(rules))
    ordered = [rules[r] for r in used if r in rules]
    index = {r.id: i for i, r in enumerate(ordered)}
    seen: Counter[tuple[str, str, str, str]] = Counter()
    results = []
    for f in findings:
        key = (f.rule, f.path, f.function, f.symbol)
        seen[key] += 1
        results.append(_result(f, seen[key], index, source_root))
    problems = [{"level": "warning", "message": {"text": _text(f"{e.path}: {e.message}")},
              "locations": [{"physicalLocation": {"artifactLocation": {"uri": _uri(e.path, source_root),
                                                                       "uriBaseId": SRCROOT}}}]}
             for e in errors]
    notices = [{"level": "note", "message": {"text": _text(n)}} for n in notes]
    run: dict[str, Any] = {
        "tool": {"driver": {"name": _DRIVER.get(kind, f"workeradvisor-{kind}"), "version": __version__,
                            "semanticVersion": __version__, "rules": [_rule(r, help_uri) for r in ordered]}},
        "automationDetails": {"id": f"workeradvisor/{kind}/"},
        "invocations": [{"executionSuccessful": True, "toolExecutionNotifications": notices + problems}],
        "results": results,
    }
    if source_root:
        run["originalUriBaseIds"] = {SRCROOT: {"uri": Path(source_root).as_uri().rstrip("/") + "/"}}
    return {"$schema": SCHEMA, "version": "2.1.0", "runs": [run]}


def render(findings: Sequence[Finding], rules: Mapping[str, Rule], **kwargs: Any) -> str:
    return dumps(document(findings, rules, **kwargs), indent=2, ensure_ascii=True) + "\n"
