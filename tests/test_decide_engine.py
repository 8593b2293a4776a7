"""The engine end to end on fixtures: capacity model, caps, actions with code sites, confidence."""

from __future__ import annotations

from decide_factories import env, finding, ladder, load, profile, scan, stage

from workeradvisor.decide.capacity import build_capacity, predicted_max_rps, thread_tokens
from workeradvisor.decide.engine import decide
from workeradvisor.decide.metrics import DecideOptions
from workeradvisor.models import CallSite, CapacityRow, StackFrame
from workeradvisor.models.load import LoadResult


def kinds(rec) -> list[str]:
    return [a.kind for a in rec.actions]


def test_utilization_law_workers_needed() -> None:
    cap = build_capacity(profile(cpu_ratio=0.5, cpu_s=0.01), (), env(cores=8), DecideOptions(target_rps=150), 0.25)
    assert cap.loop_saturation_rps == 100.0
    assert cap.workers_needed == 2  # ceil(150 x 0.01 / 0.8) = ceil(1.875)
    cap = build_capacity(profile(cpu_ratio=0.5, cpu_s=0.01), (), env(cores=8), DecideOptions(target_rps=160), 0.25)
    assert cap.workers_needed == 2  # exactly 2.0 stays 2
    assert predicted_max_rps(4, 0.01, cores=2) == 200.0  # cores cap the parallelism


def test_predicted_and_measured_side_by_side() -> None:
    loads = (ladder(1, rps=(40, 48, 50), cpu=(80, 97, 99)), ladder(2, rps=(40, 80, 95), cpu=(80, 160, 196)))
    rec = decide(scan(), profile(cpu_ratio=0.95, cpu_s=0.02), loads, env(cores=2))
    assert rec.capacity is not None
    assert rec.capacity.rows == (CapacityRow(1, 50.0, 50), CapacityRow(2, 100.0, 95))
    assert rec.workers == 2
    assert next(p for p in rec.path if p.node == "compare").label.startswith("more workers gained > 30%")


def test_cpu_bound_offloads_the_measured_function_and_uses_all_cores() -> None:
    hot = CallSite("app/render.py", 31, "app.render.resize", 0.8, "cpu")
    rec = decide(scan(), profile(cpu_ratio=0.92, cpu_s=0.02, top_cpu=(hot,)),
                 (ladder(rps=(48, 50, 50), p50=(20, 40, 80), cpu=(97, 99, 99)),), env(cores=2))
    assert rec.workers == 2 and "offload-process-pool" in kinds(rec)
    off = next(a for a in rec.actions if a.kind == "offload-process-pool")
    assert "run_in_executor(cpu_pool, resize" in off.fix and "max_workers=2" in off.fix
    assert (off.sites[0].path, off.sites[0].line) == ("app/render.py", 31)


def test_offload_falls_back_to_the_scan_finding() -> None:
    f = finding("cpu-heavy", "app/auth.py", 22, "bcrypt.hashpw")
    rec = decide(scan((f,)), profile(cpu_ratio=0.9, cpu_s=0.05), (), env(cores=4))
    off = next(a for a in rec.actions if a.kind == "offload-process-pool")
    assert "run_in_executor(cpu_pool, bcrypt.hashpw" in off.fix and "max_workers=4" in off.fix
    assert off.sites[0].path == "app/auth.py" and off.sites[0].line == 22


def test_workers_never_exceed_cores_and_say_scale_out() -> None:
    rec = decide(scan(), profile(cpu_ratio=0.9, cpu_s=0.02), (), env(cores=1.5))
    assert rec.workers == 1 and rec.workers_range == (1, 1)
    assert "scale-out" in kinds(rec)
    assert any("capped at 1" in n for n in rec.notes)


def test_target_rps_beyond_the_cores_scales_out() -> None:
    rec = decide(scan(), profile(cpu_ratio=0.9, cpu_s=0.02), (), env(cores=2), DecideOptions(target_rps=300))
    assert rec.workers == 2
    out = next(a for a in rec.actions if a.kind == "scale-out")
    assert dict(out.evidence)["workers_needed"] == 8 and dict(out.evidence)["replicas"] == 4  # ceil(300*.02/.8)


def test_memory_limit_caps_workers() -> None:
    rec = decide(scan(), profile(cpu_ratio=0.9, cpu_s=0.02, rss_mib=300), (), env(cores=4, memory_mib=800))
    assert rec.workers == 2  # 800 // (300 x 1.25) = 2
    assert any("does not fit" in n for n in rec.notes)


def test_blocking_is_fixed_first_at_the_right_site() -> None:
    f = finding("blocking-http", "app/gateway.py", 40, "requests.get")
    runtime = CallSite("app/db.py", 12, "app.db.fetch", 0.6, "blocking")
    loads = (ladder(rps=(90, 95, 96), p50=(100, 200, 400), p99=(150, 300, 600), cpu=(10, 11, 11)),)
    rec = decide(scan((f,)), profile(cpu_ratio=0.02, blocked=0.6, top_blocking=(runtime,)), loads, env())
    assert rec.actions[0].kind == "fix-blocking" and rec.actions[0].first
    sites = {(s.path, s.line) for s in rec.actions[0].sites}
    assert sites == {("app/gateway.py", 40), ("app/db.py", 12)}
    assert rec.workers == 1 and "downstream-bound" not in kinds(rec)
    assert rec.verdict.startswith("Run 1 uvicorn worker, after: fix-blocking")


def test_idle_culprit_named_with_its_stack() -> None:
    p = profile(idle_cpu=62.0, culprits=(("telemetry-push", 58.0),),
                stacks=((StackFrame("push_loop", "app/telemetry.py", 14),),))
    rec = decide(scan(), p, (ladder(),), env())
    idle = rec.actions[0]
    assert idle.kind == "fix-idle-cpu" and idle.first and "telemetry-push" in idle.title
    assert (idle.sites[0].path, idle.sites[0].line, idle.sites[0].function) == ("app/telemetry.py", 14, "push_loop")
    assert rec.workers == 1


def test_mem0_story_idle_culprit_then_one_worker() -> None:
    """Seed 001: telemetry at idle, an I/O-bound async API; 30/60/100 CCU, p99 300/420/700 ms, ~78% CPU."""
    p = profile(cpu_ratio=0.1, cpu_s=0.018, idle_cpu=65.0, culprits=(("posthog-consumer", 60.0),))
    loads = (ladder(rps=(14, 25, 42.5), p50=(200, 240, 260), p99=(300, 420, 700), cpu=(40, 60, 78.6),
                    ccus=(30, 60, 100)),)
    rec = decide(scan(), p, loads, env(cores=2, memory_mib=2048))
    assert kinds(rec)[0] == "fix-idle-cpu" and rec.workers == 1 and kinds(rec)[-1] == "keep"


def test_worker_actions_name_no_launch_command_they_cannot_know() -> None:
    """The engine does not know the app, the server or a --cmd launch: ``uvicorn app:app`` was wrong for
    every app not called app.py and every gunicorn or --cmd launch. The report's deploy line has it."""
    quiet = (ladder(rps=(14, 25, 42.5), p50=(200, 240, 260), p99=(300, 420, 700), cpu=(40, 60, 70)),)
    hot = (ladder(rps=(50, 60, 61), p50=(20, 60, 160), p99=(40, 120, 300), cpu=(80, 95, 98)),)
    for loads in (quiet, hot):
        rec = decide(scan(), profile(cpu_ratio=0.6, cpu_s=0.01), loads, env(cores=2))
        action = rec.actions[-1]
        assert action.kind in ("keep", "scale-workers") and "app:app" not in action.fix, action.fix


def test_downstream_bound_keeps_one_worker() -> None:
    loads = (ladder(rps=(100, 110, 112), p50=(100, 190, 380), p99=(150, 300, 700), cpu=(12, 13, 13)),)
    rec = decide(scan(), profile(cpu_ratio=0.03), loads, env(), downstream="embedding-service")
    ds = next(a for a in rec.actions if a.kind == "downstream-bound")
    assert "embedding-service" in ds.title and rec.workers == 1


def test_thread_limit_sizing_and_set_default_executor() -> None:
    sync = tuple(finding("sync-endpoint", "app/main.py", n, "def endpoint", "warning") for n in (10, 20))
    misuse = finding("executor-misuse", "app/main.py", 5, "loop.set_default_executor", "warning")
    rec = decide(scan((*sync, misuse), async_endpoints=0, sync_endpoints=2), profile(), (ladder(ccus=(25, 50, 100)),),
                 env(), DecideOptions(target_ccu=100))
    act = next(a for a in rec.actions if a.kind == "raise-thread-limit")
    assert dict(act.evidence)["total_tokens_to_set"] == 125 and "total_tokens = 125" in act.fix
    assert "does NOT change it" in act.fix and ("app/main.py", 5) in {(s.path, s.line) for s in act.sites}
    assert thread_tokens(30, 40) is None


def test_confidence_drops_with_generator_bound_stages_and_missing_evidence() -> None:
    good = decide(scan(), profile(), (ladder(),), env())
    bound = load(tuple(stage(c, 100, 10, 20, 30, generator_bound=True) for c in (10, 20)))
    worse = decide(scan(), profile(), (bound,), env())
    bare = decide(None, None, (), env())
    assert good.confidence > worse.confidence > bare.confidence
    assert any("generator-bound" in r for r in worse.confidence_reasons)
    assert good.confidence_label == "high" and bare.confidence_label == "low"


def test_idle_and_run_profiles_merge() -> None:
    from workeradvisor.decide.merge import merge_profiles

    idle = profile(cpu_ratio=None, idle_cpu=61.0, culprits=(("mem0-telemetry", 60.0),))
    run = profile(cpu_ratio=0.03, top_blocking=(CallSite("a.py", 3, "f", 0.2, "blocking"),))
    merged = merge_profiles([idle, run])
    assert merged.per_request == run.per_request and merged.idle == idle.idle
    assert merged.top_blocking == run.top_blocking
    assert merge_profiles([]) is None


def test_measured_far_below_prediction_is_noted() -> None:
    rec = decide(scan(), profile(cpu_ratio=0.9, cpu_s=0.03), (ladder(rps=(10, 18, 19), cpu=(30, 54, 55)),), env())
    assert any("utilization law predicts" in n for n in rec.notes)
    ok = decide(scan(), profile(cpu_ratio=0.9, cpu_s=0.03), (ladder(rps=(20, 30, 32), cpu=(60, 90, 97)),), env())
    assert not any("utilization law predicts" in n for n in ok.notes)


def test_docs_list_every_metric_and_threshold() -> None:
    from pathlib import Path

    from workeradvisor.decide.metrics import METRICS
    from workeradvisor.decide.tree import load_decision_tree

    doc = (Path(__file__).parent.parent / "docs" / "analysis.md").read_text()
    missing = [n for n in [*METRICS, *load_decision_tree().thresholds] if f"`{n}`" not in doc]
    assert missing == []


def test_thread_pool_fit_is_stated_when_not_saturated() -> None:
    rec = decide(scan(async_endpoints=1, sync_endpoints=1), profile(), (ladder(ccus=(10, 20, 40)),), env())
    assert "raise-thread-limit" not in kinds(rec)
    assert any("~20 threads at 40 CCU, within anyio's 40" in n for n in rec.notes)


def test_blocked_share_without_a_site_is_blamed_on_the_idle_culprit_not_a_blocking_call() -> None:
    """A loop off-CPU with no blocking site, while a background thread burns CPU, is GIL contention:
    the fix is the idle burner, not a blocking call that does not exist."""
    gil = profile(cpu_ratio=0.05, blocked=0.14, idle_cpu=45.0, culprits=(("metrics-push", 44.0),))
    rec = decide(scan(), gil, (), env(cores=2))
    assert "fix-blocking" not in kinds(rec) and "fix-idle-cpu" in kinds(rec)
    alone = profile(cpu_ratio=0.05, blocked=0.14)  # same blocked share, nothing else to explain it
    assert "fix-blocking" in kinds(decide(scan(), alone, (), env(cores=2)))


def test_an_idle_thread_burn_is_fixed_first_not_scaled() -> None:
    """examples/telemetry.py under load: a thread burning 40% of a core at idle, a loop near the 90% line
    (2 workers on some runs, 1 on others). The thread is fixed first and the load test run again: every
    worker would run a copy of it (seed 001), so this evidence does not scale."""
    hot = ladder(rps=(1000, 2000, 2800), p50=(20, 21, 22), p99=(25, 30, 40), cpu=(60, 80, 92))
    burning = profile(cpu_ratio=0.08, cpu_s=0.0002, idle_cpu=40.0, culprits=(("metrics-push", 40.0),))
    rec = decide(scan(), burning, (hot,), env(cores=2))
    assert kinds(rec)[0] == "fix-idle-cpu" and rec.actions[0].first and rec.workers == 1, (kinds(rec), rec.workers)
    quiet = profile(cpu_ratio=0.08, cpu_s=0.0002, idle_cpu=1.0)  # the same load with nothing at idle
    assert decide(scan(), quiet, (hot,), env(cores=2)).workers == 2


def test_a_loop_waiting_for_a_core_counts_as_cpu_demand() -> None:
    """examples/mixed.py on a host with half a core taken: the loop reads 75% CPU and 22% waiting on the
    run queue (saturated), where a quiet run reads 97% and 0; both mean a second worker is wanted."""
    from dataclasses import replace

    from workeradvisor.models.threads import ThreadSample

    def with_loop_wait(wait: float) -> LoadResult:
        base = ladder(rps=(110, 130, 134), p50=(80, 220, 440), p99=(120, 400, 900), cpu=(70, 74, 75))
        peak = base.stages[-1]
        assert peak.server is not None
        pid = peak.server.processes[0].pid
        server = replace(peak.server, threads=(ThreadSample(pid, pid, "python", 75.0, wait),))
        return replace(base, stages=(*base.stages[:-1], replace(peak, server=server)))

    p = profile(cpu_ratio=0.25, cpu_s=0.009)
    busy = decide(scan(), p, (with_loop_wait(22.0),), env(cores=2))
    assert dict(busy.metrics)["load_cpu_demand_per_worker"] == 97.0 and busy.workers == 2
    assert decide(scan(), p, (with_loop_wait(0.0),), env(cores=2)).workers == 1
