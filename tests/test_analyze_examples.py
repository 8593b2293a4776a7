"""Acceptance: ``analyze`` on every example app gives the advice its measurements call for.

Each test asserts from the JSON report, and checks the numbers that should have chosen the advice
(request CPU ratio, idle thread CPU, RPS ceilings) rather than any file name: the mem0-like app is
run twice, with and without its telemetry thread, and the advice must follow the measurement.
Real CLI processes, real uvicorn on 127.0.0.1, short windows (see analyze_helpers.FAST).
"""

from __future__ import annotations

import pytest
from analyze_helpers import EXAMPLES, action, actions, analyze_json, enclosing_functions, lines_calling, same_file

pytestmark = pytest.mark.live  # every test here starts processes


def test_io_bound_gateway_gets_one_worker() -> None:
    doc = analyze_json("examples/io_gateway.py:app", "--ccu", "10,30")  # 2 stages: CPU stays low at both
    rec = doc["recommendation"]
    assert doc["profile"]["request_cpu_ratio"] < 0.2  # measured ~0.006: the loop mostly awaits
    assert rec["workers"] == 1 and rec["workers_range"] == [1, 1]
    kinds = {a["kind"] for a in actions(doc)}
    assert "keep" in kinds
    assert not kinds & {"scale-workers", "offload-process-pool", "fix-blocking"}
    # FastAPI serves /openapi.json: the mix is the app's operations, and the note says so
    assert any(n.startswith("requests from the OpenAPI document /openapi.json") for n in doc["notes"]), doc["notes"]


def test_cpu_bound_offloads_and_uses_every_core() -> None:
    doc = analyze_json("examples/cpu_bound.py:app", "--ccu", "2,4")
    rec = doc["recommendation"]
    assert doc["profile"]["request_cpu_ratio"] > 0.7  # measured ~0.98: the request is CPU on the loop
    offload = action(doc, "offload-process-pool")
    assert rec["workers"] == doc["environment"]["usable_workers"]
    site = offload["sites"][0]
    assert same_file(site["path"], EXAMPLES / "cpu_bound.py")
    lo, hi = enclosing_functions(EXAMPLES / "cpu_bound.py")[site["function"].rsplit(".", 1)[-1]]
    assert lo <= site["line"] <= hi
    assert "ProcessPoolExecutor" in offload["fix"] and site["function"].rsplit(".", 1)[-1] in offload["fix"]


def test_blocking_call_is_fixed_first_at_its_lines() -> None:
    source = EXAMPLES / "blocking.py"
    doc = analyze_json("examples/blocking.py:app", "--ccu", "10")  # fix first: the ladder cannot decide
    rec = doc["recommendation"]
    first = actions(doc)[0]
    assert first["kind"] == "fix-blocking" and first["first"] is True
    reported = {s["line"] for s in first["sites"] if same_file(s["path"], source)}
    expected = lines_calling(source, "time.sleep")
    assert expected and expected <= reported, (expected, first["sites"])
    assert rec["workers"] == 1  # no scaling on the evidence of a blocked loop
    assert "scale-workers" not in {a["kind"] for a in actions(doc)}


def test_telemetry_thread_is_named_as_idle_cpu_culprit() -> None:
    doc = analyze_json("examples/telemetry.py:app", "--ccu", "10,30")  # the idle profile decides
    idle = doc["profile"]["idle"]
    hottest = max(idle["culprits"], key=lambda t: t["cpu_percent"])
    assert hottest["cpu_percent"] > 10 and not hottest["is_loop"]  # measured 25-40% of a core with no traffic
    fix = action(doc, "fix-idle-cpu")
    assert fix["evidence"]["thread"] == hottest["name"]
    assert hottest["name"] in fix["title"] or hottest["name"] in fix["fix"]


def test_sync_endpoints_at_high_ccu_raise_the_thread_limit() -> None:
    # --target-ccu: the ladder's top stage may be flagged generator-bound on a busy 2-core host (then
    # untrusted, and the peak CCU falls back to 20); the plan is for 80 users either way.
    doc = analyze_json("examples/sync_endpoints.py:app", "--ccu", "20,80", "--target-ccu", "80")
    raise_limit = action(doc, "raise-thread-limit")
    assert "total_tokens" in raise_limit["fix"]
    # The measurement agrees: at 80 CCU, RPS stays far below CCU / latency (the 40 threads cap it).
    latency_s = doc["profile"]["per_request"]["mean_latency_ms"] / 1000
    top = max(doc["load"][0]["stages"], key=lambda s: s["ccu"])
    assert top["ccu"] == 80 and top["rps"] < 0.8 * 80 / latency_s


def test_mem0_like_reproduces_the_seed_story() -> None:
    """Idle CPU culprit first, then 1 worker."""
    doc = analyze_json("examples/mem0_like/app.py:app", "--workers", "1,2", "--ccu", "10,30")
    rec = doc["recommendation"]
    assert rec["path"][0]["node"] == "idle" and rec["path"][0]["workers_range"] is None
    hottest = max(doc["profile"]["idle"]["culprits"], key=lambda t: t["cpu_percent"])
    assert hottest["cpu_percent"] > 10
    fix = action(doc, "fix-idle-cpu")
    assert fix["evidence"]["thread"] == hottest["name"]
    assert rec["workers"] == 1
    # the telemetry thread is busy beside the loop in each worker: idle CPU, not a BLAS pool to limit
    assert "limit-native-threads" not in [a["kind"] for a in actions(doc)]
    assert doc["profile"]["request_cpu_ratio"] < 0.3  # I/O-bound, like the seed's 90% I/O
    rows = {r["workers"]: r for r in rec["compare"]}
    # Both counts were measured. Whether the second worker passes the 30% rule moves with the box (two GILs
    # split the telemetry thread's CPU: it passed on a busy CI box, failed on quiet runs), so the story's claim
    # is the verdict above (1 worker, the idle culprit named first), not the gain's side of 30%.
    assert set(rows) == {1, 2}


def test_mem0_like_without_telemetry_has_no_idle_culprit() -> None:
    """Same file, telemetry switched off: the advice follows the measurement, not the name."""
    doc = analyze_json("examples/mem0_like/app.py:app", "--ccu", "10,30", env={"MEM0_TELEMETRY": "False"})
    assert "fix-idle-cpu" not in {a["kind"] for a in actions(doc)}
    assert all(t["cpu_percent"] <= 10 for t in doc["profile"]["idle"]["culprits"])
    assert doc["recommendation"]["workers"] == 1
