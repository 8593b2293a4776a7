"""The evidence pieces render the same facts in text, markdown and JSON."""

from __future__ import annotations

import json

from workeradvisor.decide.stats import gain_test
from workeradvisor.jsonsafe import dumps
from workeradvisor.models.decision import NoVerdict
from workeradvisor.models.verdict import HostNoise
from workeradvisor.report.verdict_parts import (
    gain_cells,
    gain_dict,
    no_verdict_dict,
    no_verdict_markdown,
    no_verdict_text,
    noise_line,
)

NV = NoVerdict("the app fails under load: 100% 5xx at 2 CCU; fix that before sizing",
               ("successful requests at the lowest load stage",))


def test_no_verdict_in_each_format() -> None:
    assert no_verdict_text(NV).startswith("No verdict: the app fails under load: 100% 5xx at 2 CCU; fix that")
    assert "Run " not in no_verdict_text(NV)
    md = no_verdict_markdown(NV)
    assert "no verdict" in md and "**The app fails under load" in md and "- successful requests" in md
    assert no_verdict_dict(NV) == {"reason": NV.reason, "evidence_missing": list(NV.evidence_missing)}


def test_gain_rows_show_interval_and_outcome() -> None:
    t = gain_test([100, 100, 100, 100], [125, 175, 140, 170], baseline_workers=1, workers=2)
    cells = gain_cells(t)
    assert cells[0] == "2 vs 1" and cells[1].startswith("+51% [+25%, +82%]") and cells[5].startswith("inconclusive")
    d = json.loads(dumps(gain_dict(t)))
    assert d["outcome"] == "inconclusive" and d["rps_gain"]["low"] < 0.3 < d["rps_gain"]["high"]
    assert d["more_pairs_needed"] >= 1


def test_single_pair_gain_dict_has_no_interval_and_stays_valid_json() -> None:
    d = gain_dict(gain_test([100], [150], baseline_workers=1, workers=2))
    assert d["rps_gain"] is None and d["outcome"] == "inconclusive"
    assert "NaN" not in dumps(d)


def test_noise_line() -> None:
    assert "other processes 60% CPU" in noise_line(HostNoise(5, 2, 160, 100, 60, 0.5))
