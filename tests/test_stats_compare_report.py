"""Acceptance 3: recorded interleaved trials on each side of 30% and one straddling it, through the
engine and every report format: the gain interval and the rule's outcome are shown."""

from __future__ import annotations

import json

import pytest
from decide_factories import env, ladder, profile, scan

from workeradvisor.decide.engine import analyze_results
from workeradvisor.models.verdict import TrialSeries
from workeradvisor.report import analysis_json, analysis_markdown, analysis_text

BASE = (100.0, 104.0, 98.0, 101.0)


def _trials(gains: tuple[float, ...]) -> TrialSeries:
    other = tuple(b * (1 + g) for b, g in zip(BASE, gains, strict=True))
    return TrialSeries(10, ((1, BASE), (2, other)), ((1, (50.0, 52.0, 49.0, 51.0)), (2, (40.0, 41.0, 39.0, 40.0))))


CASES = [
    ("scale", (0.78, 0.82, 0.80, 0.79), 2, "the whole interval of the paired gain is above 30%; scale"),
    ("keep", (0.05, 0.10, 0.02, 0.08), 1, "the whole interval of the paired gain is below 30%; keep the fewest"),
    ("inconclusive", (0.10, 0.90, 0.30, 0.85), 1, "inconclusive; the paired gain's interval straddles 30%"),
]


@pytest.mark.parametrize(("outcome", "gains", "workers", "label"), CASES, ids=[c[0] for c in CASES])
def test_gain_interval_and_outcome_in_every_format(outcome: str, gains: tuple, workers: int, label: str) -> None:
    hot = (ladder(1, rps=(300, 600, 700), cpu=(60, 95, 99)),)  # CPU > 90%: the tree reaches the compare node
    analysis = analyze_results(scan(), profile(cpu_ratio=0.5), hot, env(cores=2), trials=_trials(gains))
    rec = analysis.recommendation
    assert rec is not None and rec.workers == workers
    test = rec.gain_tests[0]
    assert test.outcome == outcome and test.rps_gain is not None and test.pairs == 4
    assert next(p for p in rec.path if p.node == "compare").label.startswith(label)
    interval = f"[{test.rps_gain.low:+.0%}, {test.rps_gain.high:+.0%}]"
    text, md = analysis_text.render(analysis), analysis_markdown.render(analysis)
    for report in (text, md):
        assert interval in report and outcome in report
    doc = json.loads(analysis_json.render(analysis))["recommendation"]["gain_tests"][0]
    assert doc["outcome"] == outcome and doc["rps_gain"]["low"] == round(test.rps_gain.low, 4)
    assert doc["p99_change"]["high"] < 0  # two workers cut p99 in every pair
    if outcome == "inconclusive":
        assert doc["more_pairs_needed"] >= 1 and "more pair" in doc["reason"]
        assert any("inconclusive" in r for r in rec.confidence_reasons)
