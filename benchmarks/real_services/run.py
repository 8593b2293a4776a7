"""Precision of workeradvisor's loop claims on real open-source async services, against a hand triage.

    python benchmarks/real_services/run.py [--python PATH | --src DIR] [--list-untriaged] [--json]
                                           [--service NAME ...] [--show-lost]

Each service is a public GitHub repository at a pinned commit, exported with ``git archive`` from a bare
mirror (default /work/.mirror/<owner>+<name>/repo, or --mirror-root) into benchmarks/.cache/real_services
(gitignored; their code is never committed). It is scanned with ``<python> -P -m workeradvisor scan <path>
--format json`` from the folder a user of that service would scan from. Every loop claim (WA1xx, WA2xx,
WA311, WA331; a finding whose ``context`` says startup/unserved is not a request-path claim and is only
counted) is looked up in triage.csv by (service, path, rule, symbol, function) — the line is a hint that
only breaks ties — and expected.csv lists known request-path blockers the scanner should find (recall).
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import re
import subprocess
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "flake8_async_eval"))

from runner import check_python, run_workeradvisor, scanner_label  # noqa: E402  (shared with the flake8-async harness)

CACHE = HERE.parent / ".cache" / "real_services"
TRIAGE = HERE / "triage.csv"
EXPECTED = HERE / "expected.csv"
TRIAGE_FIELDS = ("service", "path", "rule", "symbol", "function", "line", "verdict", "reason", "origin")
START = "start"  # origin of the starting triage (main @ 09abcf2): its true positives must never be lost


@dataclass(frozen=True)
class Service:
    """One service: where its code comes from and how a user would scan it."""

    name: str
    repo: str          # GitHub owner/name
    commit: str        # pinned
    subtree: str       # exported part of the repository ("" = all)
    cwd: str           # folder the scan runs from, relative to the export
    target: str        # scan path, relative to cwd


SERVICES = (
    Service("mem0-server", "mem0ai/mem0", "8d5b7865bd0521e75fe9ab1b260eeccc83f8a378", "server", "server", "."),
    Service("mem0", "mem0ai/mem0", "8d5b7865bd0521e75fe9ab1b260eeccc83f8a378", "mem0", ".", "mem0"),
    Service("datasette", "simonw/datasette", "481df7ff6d78a8ccf919984d27f27201b081bd53", "", ".", "datasette"),
    # the same code scanned from inside the package (issue 10: import roots must not depend on the scan dir)
    Service("datasette-inside", "simonw/datasette", "481df7ff6d78a8ccf919984d27f27201b081bd53", "", "datasette", "."),
    Service("lnbits", "lnbits/lnbits", "7d98c6b0808efab3edafc21310ec34d1c38c23df", "", ".", "lnbits"),
    Service("polar", "polarsource/polar", "c6c3645e639ee8eeaa05aa0835cf8e39e330382f", "server", "server", "."),
    Service("dispatch", "Netflix/dispatch", "dd2837e82a0bf5565b1b4b4b91ea30b7262d4061", "", ".", "src/dispatch"),
    Service("fastapi-template", "fastapi/full-stack-fastapi-template", "68adb40d37425f6f8668ec7e5a054500d045e43e",
            "backend", "backend", "."),
)


def is_loop_claim(finding: dict) -> bool:
    rule = finding.get("rule", "")
    return rule.startswith(("WA1", "WA2")) or rule in ("WA311", "WA331")


def function_key(qualname: str) -> str:
    """Last two dotted parts (module-or-class + function): stable when the scanner's module naming changes
    (issue 10's import roots) while the file and the function stay the same."""
    return ".".join(qualname.split(".")[-2:])


def obtain(svc: Service, mirror_root: Path) -> Path:
    """Export the pinned commit once into the cache; the folder to scan from."""
    dest = CACHE / f"{svc.name}-{svc.commit[:12]}"
    if not dest.is_dir():
        git_dir = mirror_root / svc.repo.replace("/", "+") / "repo"
        if not git_dir.is_dir():
            raise SystemExit(f"run.py: error: no mirror of {svc.repo} at {git_dir}; make one with `git clone --bare "
                             f"https://github.com/{svc.repo} {git_dir}` (needs commit {svc.commit})")
        tmp = dest.with_name(dest.name + ".part")
        tmp.mkdir(parents=True, exist_ok=True)
        paths = [svc.subtree] if svc.subtree else []
        archive = subprocess.run(["git", "--git-dir", str(git_dir), "archive", svc.commit, *paths], capture_output=True)
        if archive.returncode != 0:
            raise SystemExit(f"run.py: error: git archive {svc.repo}@{svc.commit[:12]}: "
                             f"{archive.stderr.decode(errors='replace').strip()[-300:]}")
        subprocess.run(["tar", "-x", "-C", str(tmp)], input=archive.stdout, check=True)
        tmp.rename(dest)
    return dest / svc.cwd


@dataclass
class Result:
    """One service's claims held against the triage."""

    claims: list[dict] = field(default_factory=list)
    not_request: int = 0
    true: list[dict] = field(default_factory=list)
    false: list[dict] = field(default_factory=list)
    untriaged: list[dict] = field(default_factory=list)
    lost: list[dict] = field(default_factory=list)
    expected_found: list[dict] = field(default_factory=list)
    expected_missed: list[dict] = field(default_factory=list)
    parse_errors: int = 0


def read_csv(path: Path) -> list[dict]:
    if not path.exists():
        return []
    with path.open(newline="") as fh:
        return [row for row in csv.DictReader(fh) if row.get("service") and not row["service"].startswith("#")]


def match_row(finding: dict, rows: list[dict]) -> dict | None:
    """The triage row with the same key; the nearest line hint breaks ties. A row's symbol may list
    alternatives (``bcrypt.gensalt|bcrypt.hashpw``) so a claim renamed to its costly call keeps its verdict."""
    key = (finding["path"], finding["rule"], function_key(finding.get("function", "")))
    symbol = finding.get("symbol", "")
    same = [r for r in rows if (r["path"], r["rule"], function_key(r["function"])) == key
            and symbol in r["symbol"].split("|")]
    if not same:
        return None
    return min(same, key=lambda r: abs(int(r.get("line") or 0) - int(finding.get("line") or 0)))


def still_found(claim: dict, row: dict) -> bool:
    """A true row is still found when a claim matches it, or when the same blocker is reported at the same
    site under a sibling rule of its family (same path, function, rule prefix such as WA12, within 3 lines):
    e.g. an ``open()`` + ``.read()`` pair merged into one claim, or ``Popen.wait`` reported at ``Popen``."""
    if match_row(claim, [row]) is not None:
        return True
    return (claim["path"] == row["path"] and claim["rule"][:4] == row["rule"][:4]
            and function_key(claim.get("function", "")) == function_key(row["function"])
            and abs(int(claim.get("line") or 0) - int(row.get("line") or 0)) <= 3)


def expected_hit(exp: dict, claims: Iterable[dict]) -> dict | None:
    """An expected blocker is found when a claim in its file and function names one of its symbols."""
    symbols = [s.strip() for s in exp["symbols"].split("|") if s.strip()]
    for c in claims:
        if c["path"] == exp["path"] and function_key(c.get("function", "")).endswith(exp["function"]) and \
                any(s in c.get("symbol", "") or s in c.get("message", "") for s in symbols):
            return c
    return None


def unparsed_files(errors: list[dict]) -> int:
    """Files not scanned: one per error, plus the "and N more file(s)" a grouped newer-syntax error names."""
    return sum(1 + sum(int(n) for n in re.findall(r"and (\d+) more file", e.get("message", ""))) for e in errors)


def evaluate(svc: Service, report: dict, triage: list[dict], expected: list[dict]) -> Result:
    res = Result(parse_errors=unparsed_files(report.get("errors", [])))
    rows = [r for r in triage if r["service"] == svc.name]
    for f in report.get("findings", []):
        if not is_loop_claim(f):
            continue
        if f.get("context") in ("startup", "unserved"):
            res.not_request += 1
            continue
        res.claims.append(f)
        row = match_row(f, rows)
        if row is None:
            res.untriaged.append(f)
        elif row["verdict"].strip().lower() == "true":
            res.true.append(f)
        else:
            res.false.append(f)
    for row in rows:
        if row.get("origin", START) == START and row["verdict"].strip().lower() == "true" and \
                not any(still_found(c, row) for c in res.claims):
            res.lost.append(row)
    for exp in (e for e in expected if e["service"] == svc.name):
        (res.expected_found if expected_hit(exp, res.claims) else res.expected_missed).append(exp)
    return res


def pct(n: int, d: int) -> str:
    return f"{100 * n / d:.0f}%" if d else "-"


def table(results: dict[str, Result]) -> str:
    head = (f"{'service':<17} {'claims':>6} {'true':>5} {'false':>5} {'untri':>5} {'prec':>5} {'lostTP':>6} "
            f"{'expected':>8} {'startup/unserved':>16} {'unparsed files':>14}")
    lines = [head, "-" * len(head)]
    total = Result()
    for name, r in results.items():
        lines.append(_row(name, r))
        for attr in ("claims", "true", "false", "untriaged", "lost", "expected_found", "expected_missed"):
            getattr(total, attr).extend(getattr(r, attr))
        total.not_request += r.not_request
        total.parse_errors += r.parse_errors
    lines.append(_row("TOTAL", total))
    t = len(total.true)
    lines.append(f"precision on triaged claims {t}/{t + len(total.false)} ({pct(t, t + len(total.false))}); "
                 f"{len(total.untriaged)} untriaged; {len(total.lost)} true positives of the triage lost; "
                 f"recall on expected blockers {len(total.expected_found)}/"
                 f"{len(total.expected_found) + len(total.expected_missed)}")
    return "\n".join(lines)


def _row(name: str, r: Result) -> str:
    t, f = len(r.true), len(r.false)
    exp = f"{len(r.expected_found)}/{len(r.expected_found) + len(r.expected_missed)}"
    return (f"{name:<17} {len(r.claims):>6} {t:>5} {f:>5} {len(r.untriaged):>5} {pct(t, t + f):>5} {len(r.lost):>6} "
            f"{exp:>8} {r.not_request:>16} {r.parse_errors:>14}")


def untriaged_csv(results: dict[str, Result], origin: str) -> str:
    """Untriaged claims as triage.csv rows with an empty verdict, ready to read and fill in."""
    out: list[list[str]] = []
    for name, r in results.items():
        for f in r.untriaged:
            cells = [name, f["path"], f["rule"], f.get("symbol", ""), f.get("function", ""), str(f.get("line", "")),
                     "", f"TODO {f.get('message', '')}", origin]
            out.append(cells)
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(out)
    return buf.getvalue().rstrip("\n")


def json_payload(results: dict[str, Result], label: str) -> dict:
    def one(r: Result) -> dict:
        t, f = len(r.true), len(r.false)
        return {"claims": len(r.claims), "true": t, "false": f, "untriaged": len(r.untriaged),
                "precision": round(t / (t + f), 4) if t + f else None,
                "lost_true_positives": [f"{x['path']}:{x['line']} {x['rule']} {x['symbol']}" for x in r.lost],
                "expected_found": len(r.expected_found), "expected_missed": [x["what"] for x in r.expected_missed],
                "startup_or_unserved": r.not_request, "unparsed_files": r.parse_errors}

    total = Result()
    for r in results.values():
        for attr in ("claims", "true", "false", "untriaged", "lost", "expected_found", "expected_missed"):
            getattr(total, attr).extend(getattr(r, attr))
        total.not_request += r.not_request
        total.parse_errors += r.parse_errors
    return {"scanner": label, "services": {n: one(r) for n, r in results.items()}, "total": one(total)}


def print_details(args: argparse.Namespace, results: dict[str, Result], triage: list[dict], label: str) -> None:
    """The --show-lost / --show-false / --list-untriaged listings."""
    for name, r in results.items():
        for row in r.lost if args.show_lost else []:
            print(f"LOST TP {name} {row['path']}:{row['line']} {row['rule']} {row['symbol']} ({row['reason']})")
        for exp in r.expected_missed if args.show_lost else []:
            print(f"MISSED EXPECTED {name} {exp['path']} {exp['function']}: {exp['what']}")
        rows = [t for t in triage if t["service"] == name]
        for f in r.false if args.show_false else []:
            hit = match_row(f, rows)
            print(f"FALSE {name} {f['path']}:{f['line']} {f['rule']} {f.get('symbol', '')} -- "
                  f"{hit['reason'] if hit else ''}")
    if args.list_untriaged:
        print(untriaged_csv(results, f"scanner@{label.rsplit('@ ', 1)[-1]}"))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--python", default=sys.executable, help="interpreter whose workeradvisor is measured")
    ap.add_argument("--src", type=Path, help="checkout root to put first on PYTHONPATH (another worktree)")
    ap.add_argument("--mirror-root", type=Path, default=Path("/work/.mirror"), help="bare git mirrors")
    ap.add_argument("--service", action="append", help="only these services (repeatable)")
    ap.add_argument("--list-untriaged", action="store_true", help="print untriaged claims as triage.csv rows")
    ap.add_argument("--show-lost", action="store_true", help="list lost true positives and missed expected ones")
    ap.add_argument("--show-false", action="store_true", help="list the claims triaged false, with the reason")
    ap.add_argument("--json", action="store_true", help="print the numbers as JSON")
    args = ap.parse_args()
    args.python = check_python(args.python)
    triage, expected = read_csv(TRIAGE), read_csv(EXPECTED)
    results: dict[str, Result] = {}
    for svc in SERVICES:
        if args.service and svc.name not in args.service:
            continue
        cwd = obtain(svc, args.mirror_root)
        report = run_workeradvisor(args.python, args.src, Path(svc.target), cwd=cwd, extra=[])
        results[svc.name] = evaluate(svc, report, triage, expected)
    label = scanner_label(args.python, args.src)
    if args.json:
        print(json.dumps(json_payload(results, label), indent=2))
        return 0
    print(f"workeradvisor = {label}")
    print(table(results))
    print_details(args, results, triage, label)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
