"""Acceptance 1 of issue 15: numpy work in 2 workers whose BLAS pools oversubscribe the cores.

``analyze`` (2 workers, BLAS threads = the cores each) must name the oversubscription with the thread
counts and recommend ``OMP_NUM_THREADS = cores / workers``; with that setting, the same decision
code (the ladder stage ``analyze`` runs and its decision, in process, without repeating the scan and
profile steps to keep CI short) must not find it, and throughput must not drop.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import run_cli

from workeradvisor.decide.engine import decide
from workeradvisor.environment import detect_environment
from workeradvisor.launch import serve
from workeradvisor.load import build_plan, run_ladder
from workeradvisor.procs import this_process_cpu_count

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "numpy_threads.py"
# 8 CCU: keep-alive connections stay with the worker that accepted them; at 4 one worker sometimes held
# nearly all of them and the other's pool idled (docs/threads.md).
SHORT = ("--ccu", "8", "--stage-seconds", "2", "--warmup", "0.5")
# Throughput "does not drop": the fix must keep at least this share of the oversubscribed RPS. Measured on
# the shared 2-core box (load average ~9), four consecutive 2 s stages of one server: 10.5-17.5 RPS with
# the fix, 4.5-7.0 without, so one stage can sit ~30% below another of the same server by noise alone;
# the fix's gain was >= 1.5x in every pairing. 0.7 fails on a drop larger than that noise, not on noise.
RPS_KEEP = 0.7


def _actions(doc: dict) -> dict[str, dict]:
    return {a["kind"]: a for a in (doc.get("recommendation") or {}).get("actions", [])}


@pytest.mark.live
def test_analyze_names_blas_oversubscription_and_the_fix_clears_it(tmp_path: Path) -> None:
    cores = this_process_cpu_count()
    if cores < 2:
        pytest.skip("needs 2 cores: 2 workers x cores BLAS threads")
    per_worker = max(1, cores // 2)
    over = tmp_path / "over.json"
    blas = (f"OPENBLAS_NUM_THREADS={cores}", f"OMP_NUM_THREADS={cores}")  # OpenBLAS's default, made explicit
    proc = run_cli("analyze", f"{EXAMPLE}:app", "--workers", "2", "--path", "/similarity", *SHORT,
                   "--idle-seconds", "1", "--profile-seconds", "1.5", "--env", blas[0], "--env", blas[1],
                   "--format", "json", "--output", str(over))
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(over.read_text())
    action = _actions(doc).get("limit-native-threads")
    threads = [(s["ccu"], s["rps"], s["generator_bound"], (s["server"] or {}).get("threads"))
               for ld in doc["load"] for s in ld["stages"]]
    assert action is not None, (doc["recommendation"]["metrics"], threads)
    evidence = dict(action["evidence"]) if isinstance(action["evidence"], list) else action["evidence"]
    assert evidence["thread_workers"] == 2 and evidence["busy_threads"] > cores, evidence
    assert evidence["busy_threads_per_worker"] >= 2
    assert f"OMP_NUM_THREADS={per_worker}" in action["title"]
    assert f"{evidence['busy_threads']} busy threads across 2 workers on {cores} cores" in action["title"]
    over_rps = doc["load"][0]["stages"][-1]["rps"]

    env = {"OPENBLAS_NUM_THREADS": str(per_worker), "OMP_NUM_THREADS": str(per_worker)}
    with serve(f"{EXAMPLE}:app", workers=2, env=env) as server:  # the ladder step of analyze, in process
        load = run_ladder(build_plan(server.base_url, paths=("/similarity",)), (8,), stage_seconds=2.0,
                          warmup_s=0.5, server_pid=server.pid, workers=2)
    after = decide(None, None, (load,), detect_environment())
    assert "limit-native-threads" not in [a.kind for a in after.actions]
    busy = dict(after.metrics)["busy_threads"]
    assert busy is not None and busy <= cores
    fixed_rps = load.stages[-1].rps
    print(f"oversubscribed {over_rps:.1f} RPS ({evidence['busy_threads']} busy threads), "
          f"fixed {fixed_rps:.1f} RPS ({busy:.0f} busy threads)")
    assert fixed_rps >= RPS_KEEP * over_rps
