"""Markdown for a PR comment or ``$GITHUB_STEP_SUMMARY``: verdict, path, evidence, sites, charts.

Charts are mermaid ``xychart-beta`` (p99 vs CCU and RPS vs CCU, one line per worker count),
drawn by ``report/mermaid.py``.
"""

from __future__ import annotations

from workeradvisor.models.decision import Analysis
from workeradvisor.models.load import LoadResult
from workeradvisor.report import fleet_report
from workeradvisor.report.analysis_common import (
    COMPARE_HEADERS,
    LOAD_OPERATION_HEADERS,
    NOT_MEASURED,
    OPERATION_HEADERS,
    compare_cells,
    environment_line,
    evidence_rows,
    fmt_value,
    heaviest_operation,
    load_operation_table,
    operation_rows,
    values_text,
    workers_of,
)
from workeradvisor.report.memory_parts import MEMORY_HEADERS, memory_lines, memory_rows
from workeradvisor.report.mermaid import decision_matrix_chart, xychart
from workeradvisor.report.verdict_parts import GAIN_HEADERS, gain_cells, no_verdict_markdown, noise_line


def _cell(text: object) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _table(headers: list[str], rows: list[list[str]]) -> list[str]:
    out = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    out += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in rows]
    return out + [""]


_Points = dict[int, tuple[float, float | None]]


def _ccu_series(loads: tuple[LoadResult, ...]) -> tuple[list[int], list[tuple[int, _Points]]]:
    """X values (CCUs) and, per worker count, {ccu: (rps, p99)} over every CCU stage measured."""
    runs: dict[int, _Points] = {}
    for load in loads:
        points = {s.ccu: (s.rps, s.latency_ms.p99) for s in load.stages if s.ccu is not None}
        if points:
            runs[workers_of(load)] = points
    xs = sorted({c for pts in runs.values() for c in pts})
    return xs, sorted(runs.items())


def charts(loads: tuple[LoadResult, ...]) -> list[str]:
    xs, runs = _ccu_series(loads)
    if not xs:
        return []
    no_p99 = any(p99 is None for _, pts in runs for _, p99 in pts.values())  # an import without p99
    for candidate in (xs, sorted(set.intersection(*[set(p) for _, p in runs]))):
        names = [f"{w} worker{'s' if w != 1 else ''}" for w, _ in runs]
        try:
            p99 = "_p99 chart left out: the load tool did not report p99._\n" if no_p99 else xychart(
                "p99 latency vs CCU", "CCU", candidate, "p99 (ms)",
                [(n, [pts.get(c, (None, None))[1] for c in candidate])
                 for n, (_, pts) in zip(names, runs, strict=True)])
            rps = xychart("Throughput vs CCU", "CCU", candidate, "RPS",
                          [(n, [pts.get(c, (None, None))[0] for c in candidate]) for n, (_, pts) in zip(names, runs,
                                                                                                          strict=True)])
        except ValueError:
            continue
        untrusted = [f"{workers_of(x)} worker(s) at CCU {s.ccu}" for x in loads for s in x.stages
                     if s.ccu in candidate and (s.generator_bound or s.partial)]
        caveat = [f"Untrusted points (generator-bound or partial): {', '.join(untrusted)}.", ""] if untrusted else []
        return ["### Load ladder", "", p99, rps, *caveat]
    return ["_Charts left out: the runs share no CCU levels._", ""]


def _actions(analysis: Analysis) -> list[str]:
    out = ["## Actions", ""]
    assert analysis.recommendation is not None
    for i, a in enumerate(analysis.recommendation.actions, 1):
        first = " **(do first)**" if a.first else ""
        out.append(f"{i}. **`{a.kind}`**{first}: {a.title}")
        if a.evidence:
            out.append(f"   - evidence: {values_text(a.evidence)}")
        out.append("")
        if a.sites:
            out += ["   | site | function | detail | from |", "   |---|---|---|---|"]
            out += [f"   | `{s.path}:{s.line}` | `{_cell(s.function)}` | {_cell(s.detail)} | {s.source} |"
                    for s in a.sites[:20]]
            out.append("")
        if a.fix:
            out += ["   " + line if line else "" for line in a.fix.splitlines()] + [""]
    return out


def render(analysis: Analysis) -> str:
    rec = analysis.recommendation
    if rec is None:
        assert analysis.no_verdict is not None
        notes = ["", "## Notes", ""] + [f"- {n}" for n in analysis.notes] if analysis.notes else []
        return no_verdict_markdown(analysis.no_verdict) + "\n".join(notes).rstrip() + ("\n" if notes else "")
    lo, hi = rec.workers_range
    out = [
        "# workeradvisor analysis",
        "",
        f"> **{rec.verdict}** (range {lo}-{hi}, confidence {rec.confidence:.2f}, {rec.confidence_label})",
        "",
        f"Machine: {environment_line(analysis.environment)}.",
        "",
    ]
    if analysis.deploy is not None:
        d = analysis.deploy
        hint = f" ({d.hint})" if d.hint else ""
        out += [f"Deploy with: `{d.command}`{hint}" if d.command else d.line()[0].upper() + d.line()[1:] + ".", ""]
    out += ["## Decision path", ""]
    out += _table(["node", "branch taken", "condition", "values"],
                  [[p.node, p.label + (f" (workers {p.workers_range[0]}-{p.workers_range[1]})" if p.workers_range
                                        else ""), f"`{p.condition}`", values_text(p.values)] for p in rec.path])
    out += _actions(analysis)
    out += ["## Evidence", ""]
    out += _table(["measured", "value", "metric"], [[a, b, f"`{c}`"] for a, b, c in evidence_rows(analysis)])
    if rec.compare:
        gain_min = rec.threshold("scale_gain_min")
        out += ["## Decision matrix", ""] + _table(COMPARE_HEADERS, [compare_cells(r, gain_min) for r in rec.compare])
        rows = rec.compare
        out += [decision_matrix_chart([r.workers for r in rows], [r.rps for r in rows], [r.p99_ms for r in rows],
                                      rows[0].ccu)]
    if analysis.operations:
        out += ["## Per operation", "", f"Each operation alone at 1 CCU. Heaviest: {heaviest_operation(analysis)}.",
                ""] + _table(list(OPERATION_HEADERS), operation_rows(analysis))
    under_load = load_operation_table(analysis)
    if under_load is not None:
        out += [f"## {under_load[0]}", ""] + _table(LOAD_OPERATION_HEADERS, under_load[1])
    if rec.gain_tests:
        out += ["## Worker comparison (paired interleaved trials, 90% intervals)", ""]
        out += _table(GAIN_HEADERS, [gain_cells(t) for t in rec.gain_tests])
        out += [f"- {t.reason}" for t in rec.gain_tests] + [""]
    if rec.host_noise is not None:
        out += [f"_{noise_line(rec.host_noise)}_", ""]
    cap = rec.capacity
    if cap is not None and cap.cpu_s_per_request:
        out += ["## Capacity model", "",
                f"Loop CPU per request {fmt_value('cpu_s_per_request', cap.cpu_s_per_request)} "
                f"({cap.cpu_source}): one worker's loop saturates near {cap.loop_saturation_rps} RPS; "
                f"workers needed for the target = ceil(target RPS x CPU per request / 0.8)"
                + (f" = {cap.workers_needed}." if cap.workers_needed else "."), ""]
        if cap.rows:
            out += _table(["workers", "predicted max RPS", "measured peak RPS"],
                          [[str(r.workers), fmt_value("rps", r.predicted_max_rps),
                            fmt_value("rps", r.measured_peak_rps) if r.measured_peak_rps is not None
                            else NOT_MEASURED] for r in cap.rows])
    if mem_rows := memory_rows(analysis):
        out += ["## Memory per worker", "", "RSS counts shared pages in full in every process; USS is a process's "
                "own pages; PSS adds its share of the shared ones (summed, the true total).", ""]
        out += _table(list(MEMORY_HEADERS), mem_rows) + [f"- {line}" for line in memory_lines(analysis)] + [""]
    out += charts(tuple(x for x in analysis.load if x.source != "trials"))  # trials: one CCU, in the gain table
    out += fleet_report.analysis_sections_markdown(analysis.pools, analysis.fleet, rec.workers)
    notes = [*rec.notes, *analysis.notes, *(f"confidence: {r}" for r in rec.confidence_reasons)]
    if notes:
        out += ["## Notes", ""] + [f"- {n}" for n in notes] + [""]
    return "\n".join(out).rstrip() + "\n"
