"""flake8-async's own eval suite, prepared for asyncio, scored for workeradvisor and ruff.

    python benchmarks/flake8_async_eval/run.py [--python PATH] [--src DIR] [--json] [--show-misses]

The sdist of flake8-async (pinned below) is downloaded with pip into benchmarks/.cache/flake8_async_eval
(gitignored); its tests/eval_files hold the expectations as ``# ASYNCxxx: ...`` / ``# error: ...`` comments.
Each selected file is prepared the way flake8-async's tests/test_flake8_async.py prepares it for the asyncio
run (magic markers, BASE_LIBRARY, trio/anyio -> asyncio substitution, ASYNCIO_NO_ERROR), written to a
prepared/ folder, and scanned by ``<python> -P -m workeradvisor scan --format json`` and
``ruff check --select ASYNC --output-format json``. Expectations are read with a regex, never eval'd.

``--python`` picks the interpreter (and so the workeradvisor checkout) to score, e.g. another worktree's
.venv/bin/python; ``--src`` puts a checkout's root first on PYTHONPATH instead.
"""

from __future__ import annotations

import argparse
import csv
import json
import subprocess
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from prepare import prepare, should_error_lines  # noqa: E402  (this folder's helpers; run.py is a script, not a package)
from runner import check_python, pip_download_sdist, run_ruff, run_workeradvisor, scanner_label  # noqa: E402

PINNED = "26.8.1"
CACHE = HERE.parent / ".cache" / "flake8_async_eval"
FILES = ("async210", "async211", "async212", "async22x_asyncio", "async23x_asyncio", "async232_asyncio",
         "async240", "async250", "async251")

# ASYNC code -> workeradvisor category (family). Reasons in README.md.
FAMILY = {
    "ASYNC210": "blocking-http", "ASYNC211": "blocking-http", "ASYNC212": "blocking-http",
    "ASYNC220": "blocking-subprocess", "ASYNC221": "blocking-subprocess", "ASYNC222": "blocking-subprocess",
    "ASYNC230": "blocking-file", "ASYNC231": "blocking-file", "ASYNC232": "blocking-file",
    "ASYNC240": "blocking-file", "ASYNC250": "blocking-input", "ASYNC251": "blocking-sleep",
}
# input() has no dedicated workeradvisor family today: any blocking-* category on that line counts.
ANY_BLOCKING = {"blocking-input"}


@dataclass
class Score:
    """One tool's agreement with the expectations of one file (or all files)."""

    expected: int = 0
    by_line: int = 0
    by_family: int = 0
    findings: int = 0
    extras: int = 0
    wrong_extras: int = 0  # raw: extras flake8-async does not flag with any ASYNC2xx code
    judged_true: int = 0  # of those, judged true by reading the code (triage.csv, with the reason)
    wrong_family: int = 0
    misses: list[str] = field(default_factory=list)
    extra_lines: list[str] = field(default_factory=list)

    def add(self, other: Score) -> None:
        for name in ("expected", "by_line", "by_family", "findings", "extras", "wrong_extras", "judged_true",
                     "wrong_family"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.misses += other.misses
        self.extra_lines += other.extra_lines


def family_ok(expected_family: str, found: set[str]) -> bool:
    if expected_family in ANY_BLOCKING:
        return any(f.startswith("blocking-") for f in found)
    return expected_family in found


def read_triage(path: Path) -> dict[str, dict[int, tuple[str, str]]]:
    """triage.csv: per file and line, (symbol, reason) of a wrong extra judged true by reading the code."""
    out: dict[str, dict[int, tuple[str, str]]] = {}
    with path.open(newline="") as fh:
        for row in csv.DictReader(fh):
            if row["verdict"] == "true":
                out.setdefault(row["file"], {})[int(row["line"])] = (row["symbol"], row["reason"])
    return out


def score(name: str, expected: list[tuple[int, str]], found: dict[int, set[str]], labels: dict[int, str],
          reference_lines: set[int] | None, acknowledged: set[int],
          judged: dict[int, tuple[str, str]] | None = None) -> Score:
    """Agreement per expected error: any finding on its line (line), one of its family (family).

    An extra is a finding on a line with no expected error; it is *wrong* unless flake8-async itself, with
    every ASYNC2xx check enabled, flags that line (the file only enables its own code, so e.g. an ``open()``
    in the ASYNC232 file is a true ASYNC230 that the file does not expect)."""
    s = Score(expected=len(expected), findings=sum(len(v) for v in found.values()))
    expected_lines = {line for line, _ in expected}
    for line, code in expected:
        fams = found.get(line, set())
        s.by_line += bool(fams)
        ok = family_ok(FAMILY[code], fams)
        s.by_family += ok
        if not ok:
            s.misses.append(f"{name}:{line} {code}" + (f" (found {labels[line]})" if line in labels else ""))
    for line, fams in sorted(found.items()):
        if line not in expected_lines:
            s.extras += len(fams)
            other_code = reference_lines is not None and line in reference_lines
            upstream = line in acknowledged
            wrong = not (other_code or upstream)
            s.wrong_extras += len(fams) if wrong else 0
            symbol, _reason = (judged or {}).get(line, ("", ""))
            true = wrong and bool(symbol) and f":{symbol}" in labels.get(line, "")
            s.judged_true += len(fams) if true else 0
            s.extra_lines.append(f"{name}:{line} {labels.get(line, '')}" + (" [other ASYNC2xx]" if other_code else "")
                                 + (" [upstream: should error]" if upstream else "")
                                 + (" [judged true: triage.csv]" if true else ""))
        elif not any(family_ok(FAMILY[c], fams) for ln, c in expected if ln == line):
            s.wrong_family += 1
    return s


def workeradvisor_found(report: dict, prepared: Path) -> dict[str, tuple[dict[int, set[str]], dict[int, str]]]:
    out: dict[str, tuple[dict[int, set[str]], dict[int, str]]] = {}
    for f in report.get("findings", []):
        if f.get("category", "").startswith("sync-endpoint"):
            continue  # WA3xx info about sync defs is not an ASYNC2xx claim
        stem = Path(f["path"]).stem
        fams, labels = out.setdefault(stem, ({}, {}))
        fams.setdefault(f["line"], set()).add(f["category"])
        labels[f["line"]] = (labels.get(f["line"], "") + f" {f['rule']}:{f.get('symbol', '')}").strip()
    return out


def ruff_found(items: list[dict]) -> dict[str, tuple[dict[int, set[str]], dict[int, str]]]:
    out: dict[str, tuple[dict[int, set[str]], dict[int, str]]] = {}
    for item in items:
        code = item.get("code") or ""
        stem = Path(item["filename"]).stem
        fams, labels = out.setdefault(stem, ({}, {}))
        line = item["location"]["row"]
        fams.setdefault(line, set()).add(FAMILY.get(code, "other:" + code))
        labels[line] = (labels.get(line, "") + " " + code).strip()
    return out


def flake8_async_found(python: str, target: Path) -> dict[str, tuple[dict[int, set[str]], dict[int, str]]] | None:
    """flake8-async itself (asyncio mode, all ASYNC2xx): the reference for the preparation and for extras."""
    proc = subprocess.run([python, "-m", "flake8", "--isolated", "--asyncio", "--enable=ASYNC2", "--select=ASYNC",
                           "--format=%(path)s:%(row)d:%(code)s", "."], cwd=target, capture_output=True, text=True)
    if proc.returncode not in (0, 1) or "No module named flake8" in proc.stderr:
        return None
    out: dict[str, tuple[dict[int, set[str]], dict[int, str]]] = {}
    for row in proc.stdout.splitlines():
        path, line, code = row.rsplit(":", 2)
        if code.startswith("ASYNC2"):
            fams, labels = out.setdefault(Path(path).stem, ({}, {}))
            fams.setdefault(int(line), set()).add(FAMILY.get(code, "other:" + code))
            labels[int(line)] = (labels.get(int(line), "") + " " + code).strip()
    return out


def pct(n: int, d: int) -> str:
    return f"{100 * n / d:.0f}%" if d else "-"


def table(results: dict[str, dict[str, Score]], tools: list[str]) -> str:
    head = f"{'file':<18} {'exp':>4}" + "".join(
        f" | {t[:13]:>13} line  fam extra wrong" for t in tools)
    rows = [head, "-" * len(head)]
    for name in [*FILES, "TOTAL"]:
        cells = f"{name:<18} {results[tools[0]][name].expected:>4}"
        for t in tools:
            s = results[t][name]
            cells += (f" | {s.by_line:>4} {pct(s.by_line, s.expected):>4} {s.by_family:>4} {s.extras:>5}"
                      f" {s.wrong_extras:>5}")
        rows.append(cells)
    for t in tools:
        s = results[t]["TOTAL"]
        rows.append(f"{t}: agreement by line {s.by_line}/{s.expected} ({pct(s.by_line, s.expected)}), by family "
                    f"{s.by_family}/{s.expected} ({pct(s.by_family, s.expected)}); extras {s.extras}, "
                    f"wrong {s.wrong_extras} ({pct(s.wrong_extras, s.by_family)} of hits)"
                    + (f", of which judged true {s.judged_true} (triage.csv) -> wrong after triage "
                       f"{s.wrong_extras - s.judged_true} ({pct(s.wrong_extras - s.judged_true, s.by_family)})"
                       if s.judged_true else "")
                    + f"; wrong family on an expected line {s.wrong_family}")
    return "\n".join(rows)


Found = dict[str, tuple[dict[int, set[str]], dict[int, str]]]


def score_all(found: dict[str, Found], expectations: dict[str, list[tuple[int, str]]], reference: Found | None,
              acknowledged: dict[str, set[int]],
              triage: dict[str, dict[int, tuple[str, str]]] | None = None) -> dict[str, dict[str, Score]]:
    """Per tool: a Score per file and their TOTAL."""
    results: dict[str, dict[str, Score]] = {}
    for tool, per_file in found.items():
        results[tool] = {"TOTAL": Score()}
        for name in FILES:
            fams, labels = per_file.get(name, ({}, {}))
            ref_lines = set(reference.get(name, ({}, {}))[0]) if reference is not None else None
            judged = (triage or {}).get(name) if tool == "workeradvisor" else None
            results[tool][name] = score(name, expectations[name], fams, labels, ref_lines, acknowledged[name], judged)
            results[tool]["TOTAL"].add(results[tool][name])
    return results


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--python", default=sys.executable, help="interpreter whose workeradvisor is scored")
    ap.add_argument("--src", type=Path, help="checkout root to put first on PYTHONPATH (another worktree)")
    ap.add_argument("--ruff", help="ruff executable (default: next to --python, else PATH)")
    ap.add_argument("--version", default=PINNED, help=f"flake8-async sdist version (pinned {PINNED})")
    ap.add_argument("--json", action="store_true", help="print the numbers as JSON instead of the table")
    ap.add_argument("--show-misses", action="store_true", help="list misses and wrong extras per tool")
    args = ap.parse_args()
    args.python = check_python(args.python)

    tree = pip_download_sdist("flake8_async", args.version, CACHE, pip_python=sys.executable)
    prepared = CACHE / f"prepared-{args.version}"
    expectations = prepare(tree / "tests" / "eval_files", FILES, prepared)
    acknowledged = {name: should_error_lines(prepared / f"{name}.py") for name in FILES}

    wa = run_workeradvisor(args.python, args.src, prepared, cwd=prepared.parent)
    found = {"workeradvisor": workeradvisor_found(wa, prepared)}
    ruff_items, ruff_version = run_ruff(args.ruff, args.python, prepared)
    if ruff_items is not None:
        found["ruff " + ruff_version] = ruff_found(ruff_items)

    reference = flake8_async_found(sys.executable, prepared)
    if reference is not None:
        found = {"flake8-async " + args.version: reference, **found}
    results = score_all(found, expectations, reference, acknowledged, read_triage(HERE / "triage.csv"))
    tools = list(results)
    if args.json:
        payload = {"flake8_async": args.version, "scanner": scanner_label(args.python, args.src),
                   "scan_errors": wa.get("errors", []),
                   "tools": {t: {n: {k: v for k, v in asdict(s).items() if args.show_misses or
                                     k not in ("misses", "extra_lines")} for n, s in r.items()}
                             for t, r in results.items()}}
        print(json.dumps(payload, indent=2))
        return 0
    print(f"flake8-async {args.version} eval files, prepared for asyncio; workeradvisor = "
          f"{scanner_label(args.python, args.src)}")
    if wa.get("errors"):
        print(f"workeradvisor scan errors: {wa['errors']}")
    if reference is None:
        print("flake8-async is not installed (pip install -e '.[bench]'): every extra counts as wrong")
    print(table(results, tools))
    if args.show_misses:
        for t in tools:
            print(f"\n{t} misses:\n  " + "\n  ".join(results[t]["TOTAL"].misses))
            print(f"{t} extras:\n  " + "\n  ".join(results[t]["TOTAL"].extra_lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
