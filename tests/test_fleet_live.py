"""analyze --target-rps end to end: the report carries a fleet plan whose figures follow from its own measurement."""

from __future__ import annotations

import json
import math

import pytest
from conftest import ROOT, run_cli

pytestmark = pytest.mark.live  # starts uvicorn and the load generator on 127.0.0.1

QUICK = ("--idle-seconds", "1", "--profile-seconds", "1.5", "--stage-seconds", "2", "--warmup", "0.5", "--ccu", "4")


def test_analyze_target_rps_plans_the_fleet_from_the_measurement() -> None:
    target = str(ROOT / "tests" / "apps" / "load_target.py") + ":app"
    proc = run_cli("analyze", target, "--path", "/cpu?ms=5", *QUICK, "--target-rps", "500", "--cores", "2",
                   "--memory", "2Gi", "--format", "json", timeout=150)
    assert proc.returncode == 0, proc.stderr[-2000:]
    doc = json.loads(proc.stdout)
    fleet, cap = doc["fleet"], doc["recommendation"]["capacity"]
    assert fleet["target_rps"] == 500 and fleet["pod"]["cores"] == 2.0
    # a 5 ms CPU burn per request: CPU-bound runs one worker per core of the 2-CPU pod, else one (the ratio
    # is measured on a shared host, so the test follows the measurement rather than assuming the branch)
    ratio = doc["recommendation"]["metrics"]["request_cpu_ratio"]
    workers = 2 if ratio > 0.5 else 1
    assert (fleet["workload"], fleet["workers_per_pod"]) == ("CPU-bound" if workers == 2 else "I/O-bound", workers)
    law = min(1.0, 2 / workers) / cap["cpu_s_per_request"]
    assert fleet["rps_per_worker"] <= law * 1.001
    assert fleet["pod_rps"] == pytest.approx(fleet["rps_per_worker"] * workers * (1 - fleet["headroom"]))
    assert fleet["replicas"] == max(2, math.ceil(500 / fleet["pod_rps"] - 1e-9))
    assert fleet["hpa"]["max_replicas"] == math.ceil(fleet["replicas"] * 2 - 1e-9)
