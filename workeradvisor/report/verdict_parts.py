"""Rendering pieces for issue 11's evidence: no-verdict, gain intervals, host noise, closed-loop ceiling.

Plain strings and dicts, shared by the text, markdown and JSON reports so the three say the same
thing. JSON numbers here are always finite (an interval is absent rather than NaN).
"""

from __future__ import annotations

from typing import Any

from workeradvisor.models.decision import NoVerdict
from workeradvisor.models.verdict import CeilingBound, GainTest, HostNoise, Interval

GAIN_HEADERS = ["compared", "RPS gain", "p99 change", "pairs", "rule (> threshold)", "outcome"]


def no_verdict_text(nv: NoVerdict) -> str:
    """The plain sentence a report prints instead of a verdict."""
    missing = f"\nMissing evidence: {', '.join(nv.evidence_missing)}." if nv.evidence_missing else ""
    return f"No verdict: {nv.reason}.{missing}"


def no_verdict_markdown(nv: NoVerdict) -> str:
    lines = ["## workeradvisor: no verdict", "", f"**{nv.reason[:1].upper()}{nv.reason[1:]}.**"]
    if nv.evidence_missing:
        lines += ["", "Missing evidence:", *[f"- {m}" for m in nv.evidence_missing]]
    return "\n".join(lines) + "\n"


def no_verdict_dict(nv: NoVerdict) -> dict[str, Any]:
    return {"reason": nv.reason, "evidence_missing": list(nv.evidence_missing)}


def _pct(x: float) -> str:
    return f"{x:+.0%}"


def interval_text(i: Interval | None) -> str:
    return f"{_pct(i.estimate)} [{_pct(i.low)}, {_pct(i.high)}]" if i is not None else "n/a"


def interval_dict(i: Interval | None) -> dict[str, Any] | None:
    if i is None:
        return None
    return {"estimate": round(i.estimate, 4), "low": round(i.low, 4), "high": round(i.high, 4), "n": i.n,
            "level": i.level}


def gain_cells(t: GainTest) -> list[str]:
    """One row of the gain table: compared, RPS gain [CI], p99 change [CI], pairs, rule, outcome."""
    more = f" (~{t.more_pairs_needed} more pairs)" if t.more_pairs_needed else ""
    return [f"{t.workers} vs {t.baseline_workers}", interval_text(t.rps_gain), interval_text(t.p99_change),
            str(t.pairs), f"> {t.threshold:.0%}", f"{t.outcome}{more}"]


def gain_lines(tests: tuple[GainTest, ...]) -> list[str]:
    """Text lines: each comparison with its interval, then the rule's reason."""
    return [t.reason for t in tests]


def gain_dict(t: GainTest) -> dict[str, Any]:
    return {
        "baseline_workers": t.baseline_workers,
        "workers": t.workers,
        "threshold": t.threshold,
        "outcome": t.outcome,
        "rps_gain": interval_dict(t.rps_gain),
        "p99_change": interval_dict(t.p99_change),
        "pairs": t.pairs,
        "more_pairs_needed": t.more_pairs_needed,
        "reason": t.reason,
    }


def noise_line(n: HostNoise) -> str:
    return (f"host during the measurement: other processes {n.other_cpu_percent:.0f}% CPU, this tool and its "
            f"server {n.own_cpu_percent:.0f}%, steal {n.steal_percent:.1f}% ({n.host_cores} cores, 100% = one core)")


def noise_dict(n: HostNoise | None) -> dict[str, Any] | None:
    if n is None:
        return None
    return {"window_s": n.window_s, "host_cores": n.host_cores, "busy_percent": n.busy_percent,
            "own_cpu_percent": n.own_cpu_percent, "other_cpu_percent": n.other_cpu_percent,
            "steal_percent": n.steal_percent}


def ceiling_dict(c: CeilingBound | None) -> dict[str, Any] | None:
    if c is None:
        return None
    return {"ccu": c.ccu, "mean_latency_ms": round(c.mean_latency_ms, 3), "measured_rps": round(c.measured_rps, 2),
            "little_rps": round(c.little_rps, 2),
            "unloaded_rps": round(c.unloaded_rps, 2) if c.unloaded_rps is not None else None,
            "cpu_rps": round(c.cpu_rps, 2) if c.cpu_rps is not None else None,
            "limiter": c.limiter, "sentence": c.sentence}
