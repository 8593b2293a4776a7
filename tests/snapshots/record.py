"""Record the inputs of the terminal snapshot tests: one real ``analyze`` run, saved as its parts.

Not a test (pytest does not collect it). Run from the repository root when the renderers' inputs
change shape::

    .venv/bin/python tests/snapshots/record.py examples/mem0_like/app.py:app --workers 1,2 --ccu 10,30

It runs the analyze pipeline (real uvicorn, real load) and writes the scan, profile and load
results as the JSON that ``scan``/``profile``/``load --format json`` print, into
``tests/snapshots/recorded/``. The snapshot tests read them back and decide in-process, so the
rendered reports come from measured numbers without measuring again.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from workeradvisor.commands.analyze import int_list
from workeradvisor.environment import detect_environment
from workeradvisor.orchestrate import PipelineSettings, run_pipeline
from workeradvisor.report import load_json, profile_json

OUT = Path(__file__).parent / "recorded"


def main(argv: list[str]) -> None:
    target = argv[0]
    opts = dict(zip(argv[1::2], argv[2::2], strict=False))
    settings = PipelineSettings(target=target, workers=int_list(opts.get("--workers", "1"), "--workers"),
                                ccus=int_list(opts.get("--ccu", "10,30,60"), "--ccu"))
    outcome = run_pipeline(settings, detect_environment())
    state = outcome.state
    OUT.mkdir(exist_ok=True)
    if state.scan is not None:
        (OUT / "scan.json").write_text(json.dumps(state.scan.to_dict(), indent=1) + "\n", encoding="utf-8")
    for p in state.profiles:
        name = "profile_idle.json" if p.idle is not None and p.per_request is None else "profile_run.json"
        (OUT / name).write_text(profile_json.render(p), encoding="utf-8")
    for load in state.loads:
        (OUT / f"load_{load.workers}w.json").write_text(load_json.render(load), encoding="utf-8")
    print(f"recorded {target} into {OUT} ({outcome.elapsed_s:.0f} s): {outcome.analysis.recommendation.verdict}")


if __name__ == "__main__":
    main(sys.argv[1:])
