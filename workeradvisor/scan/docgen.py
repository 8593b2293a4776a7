"""Generate docs/rules.md from the rule YAML: ``python -m workeradvisor.scan.docgen [--check]``.

A test runs ``--check`` logic so the page can never drift from the rules."""

from __future__ import annotations

import sys
from collections.abc import Mapping
from pathlib import Path

from workeradvisor.rulebook import Rule

DOC_PATH = Path(__file__).resolve().parents[2] / "docs" / "rules.md"


def rules_markdown(rules: Mapping[str, Rule]) -> str:
    out = [
        "# Scanner rules",
        "",
        "<!-- Generated from rules/scan_*.yaml by `python -m workeradvisor.scan.docgen`; do not edit. -->",
        "",
        "Suppress one finding with `# noqa: WA101` or `# workeradvisor: ignore[WA101]` on its line, a whole",
        "file with `# workeradvisor: ignore-file` (or `ignore-file[WA101]`), or configure `select`, `ignore`,",
        "`exclude`, `per-file-ignores`, `rules` and `fail-on` under `[tool.workeradvisor]` in pyproject.toml.",
        "",
        "| id | name | category | severity |",
        "|---|---|---|---|",
    ]
    ordered = sorted(rules.values(), key=lambda r: r.id)
    out += [f"| [{r.id}](#{r.id.lower()}) | {r.name} | {r.category} | {r.severity} |" for r in ordered]
    for r in ordered:
        out += ["", f"## {r.id}", "", f"**{r.name}** · category `{r.category}` · severity `{r.severity}`", "",
                r.docs.strip(), "", f"Message: {r.message}", "", f"Fix: {r.fix}"]
        calls = r.match.get("calls") or []
        types = r.match.get("types") or []
        if calls or types:
            out += ["", "<details><summary>Matched names</summary>", ""]
            if calls:
                out.append("Calls: " + ", ".join(f"`{c}`" for c in calls))
            if types:
                methods = r.match.get("methods")
                what = f" (methods: {', '.join(f'`{m}`' for m in methods)})" if methods else ""
                out.append("")
                out.append("Objects: " + ", ".join(f"`{t}`" for t in types) + what)
            out += ["", "</details>"]
    return "\n".join(out) + "\n"


def main(argv: list[str] | None = None) -> int:
    from workeradvisor.scan.engine import scan_rules

    args = sys.argv[1:] if argv is None else argv
    text = rules_markdown(scan_rules())
    if "--check" in args:
        current = DOC_PATH.read_text(encoding="utf-8") if DOC_PATH.exists() else ""
        if current != text:
            print(f"{DOC_PATH} is stale: run python -m workeradvisor.scan.docgen", file=sys.stderr)
            return 1
        return 0
    DOC_PATH.parent.mkdir(parents=True, exist_ok=True)
    DOC_PATH.write_text(text, encoding="utf-8")
    print(f"wrote {DOC_PATH}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
