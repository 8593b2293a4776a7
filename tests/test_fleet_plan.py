"""Fleet plan arithmetic (decide/fleet.py), each expected figure computed by hand in the comment.

Thresholds are the built-in ones of rules/decision.yaml: headroom 0.3, min replicas 2, HPA max
factor 2, weak HPA signal under 20%, memory headroom 0.25, more workers above 50% request CPU.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from workeradvisor.check.pools import code_pools
from workeradvisor.cli import app
from workeradvisor.decide.fleet import (
    FleetInputError,
    FleetThresholds,
    capacity_inputs,
    db_connections,
    measured_rps_per_worker,
    plan_fleet,
    sql_per_worker,
    with_fleet,
    with_pool_note,
)
from workeradvisor.decide.tree import load_decision_tree
from workeradvisor.models.fleet import CapacityInputs, DbPool, PodLimits
from workeradvisor.models.readers import analysis_from_dict
from workeradvisor.report import analysis_json, fleet_report

MEM0 = Path(__file__).parent / "data" / "fleet" / "mem0_analysis.json"  # analyze examples/mem0_like, 1 worker
GIB, MIB = 1 << 30, 1 << 20
TH = FleetThresholds.from_thresholds(load_decision_tree().thresholds)


def inputs(cpu_s: float = 0.01, measured: float | None = None, mem: int | None = 100 * MIB, idle: float = 0.0,
           ratio: float | None = 0.1) -> CapacityInputs:
    return CapacityInputs(cpu_s, "test", measured, "test" if measured else "", mem, "test", idle, ratio, 1000.0)


def pod(cores: float = 2.0, memory: int | None = 2 * GIB, request: float | None = None) -> PodLimits:
    return PodLimits(cores, memory, "test", request)


def test_thresholds_are_the_documented_ones() -> None:
    assert (TH.headroom, TH.min_replicas, TH.hpa_max_factor, TH.hpa_cpu_min) == (0.3, 2, 2.0, 20.0)
    assert (TH.memory_headroom, TH.multi_worker_cpu_ratio) == (0.25, 0.5)


def test_io_bound_runs_one_worker_per_pod() -> None:
    # law 1 / 10 ms = 100 RPS; pod 100 x 1 x 0.7 = 70; replicas ceil(500 / 70) = 8; CPU 70 x 0.01 = 0.7 of 2 = 35%
    p = plan_fleet(500, pod(), inputs(), TH)
    assert (p.workload, p.workers_per_pod, p.rps_per_worker) == ("I/O-bound", 1, pytest.approx(100.0))
    assert (p.pod_rps, p.replicas, p.pod_cpu_cores) == (pytest.approx(70.0), 8, pytest.approx(0.7))
    assert (p.hpa_cpu_target, p.hpa_min, p.hpa_max) == (35, 2, 16)
    assert any("use at most 1 of the pod's 2 CPUs" in n for n in p.notes)


def test_cpu_bound_runs_one_worker_per_core() -> None:
    # 2 workers; law min(1, 2/2) / 20 ms = 50; pod 50 x 2 x 0.7 = 70; replicas 8; CPU 70 x 0.02 = 1.4 of 2 = 70%
    p = plan_fleet(500, pod(), inputs(cpu_s=0.02, ratio=0.9), TH)
    assert (p.workload, p.workers_per_pod, p.pod_rps, p.replicas, p.hpa_cpu_target) == (
        "CPU-bound", 2, pytest.approx(70.0), 8, 70)


def test_measured_rate_below_the_law_is_the_ceiling() -> None:
    # ceiling 40 (< law 100); pod 40 x 0.7 = 28; replicas ceil(500 / 28) = ceil(17.86) = 18
    p = plan_fleet(500, pod(), inputs(measured=40.0), TH)
    assert (p.rps_per_worker, p.replicas, p.rps_per_worker_source) == (40.0, 18, "measured at the p99 target")
    # a measurement above the law does not raise the ceiling: the law is the CPU bound
    assert plan_fleet(500, pod(), inputs(measured=400.0), TH).rps_per_worker == pytest.approx(100.0)


def test_fractional_cpu_pod_scales_the_law_down() -> None:
    # 0.5 CPU: law 0.5 / 10 ms = 50; pod 35; replicas ceil(500 / 35) = 15; CPU 0.35 of 0.5 = 70%
    p = plan_fleet(500, pod(cores=0.5), inputs(), TH)
    assert (p.rps_per_worker, p.pod_rps, p.replicas, p.hpa_cpu_target) == (
        pytest.approx(50.0), pytest.approx(35.0), 15, 70)


def test_memory_caps_workers_and_can_refuse_the_pod() -> None:
    # CPU-bound on 4 cores, 1 GiB per worker in 3 GiB: floor(3 / 1.25) = 2 workers
    p = plan_fleet(500, pod(cores=4, memory=3 * GIB), inputs(ratio=0.9, mem=GIB), TH)
    assert p.workers_per_pod == 2
    # 1 GiB per worker in a 1 GiB pod: floor(1 / 1.25) = 0: no plan
    none = plan_fleet(500, pod(memory=GIB), inputs(mem=GIB), TH)
    assert (none.fits, none.workers_per_pod, none.replicas) == (False, 0, 0)
    assert "no plan" in fleet_report.headline(none)


def test_replica_floor_exact_division_and_hpa_request_base() -> None:
    assert plan_fleet(10, pod(), inputs(), TH).replicas == 2  # ceil(10 / 70) = 1, floor of 2 replicas
    assert plan_fleet(700, pod(), inputs(), TH).replicas == 10  # 700 / 70 = 10 exactly, not 11
    # the HPA's percentage is of the CPU request: 0.7 of a 1-CPU request = 70%
    assert plan_fleet(500, pod(request=1.0), inputs(), TH).hpa_cpu_target == 70


def test_idle_cpu_counts_in_the_hpa_target_and_is_flagged() -> None:
    # 0.2 idle + 70 x 0.01 = 0.9 cores of 2 = 45%
    p = plan_fleet(500, pod(), inputs(idle=0.2), TH)
    assert (p.pod_cpu_cores, p.hpa_cpu_target) == (pytest.approx(0.9), 45)
    assert any("20% CPU with no traffic" in n for n in p.notes)


def test_weak_cpu_signal_recommends_scaling_on_rps() -> None:
    # 0.7 of an 8-CPU pod = 9% < 20%
    p = plan_fleet(500, pod(cores=8), inputs(), TH)
    assert p.hpa_cpu_target == 9
    assert any("weak scaling signal" in n for n in p.notes)


def test_mem0_like_analysis_inputs() -> None:
    analysis = analysis_from_dict(json.loads(MEM0.read_text()))
    got = capacity_inputs(analysis, 1000.0)
    assert got.measured_rps_per_worker == pytest.approx(50.5)  # the 10-CCU stage, p99 422 ms
    assert got.cpu_s_per_request == pytest.approx(0.008435)
    assert measured_rps_per_worker(analysis, 300.0) == (None, "")  # no stage met a 300 ms p99
    bare = dataclasses.replace(analysis, recommendation=dataclasses.replace(analysis.recommendation, capacity=None))
    with pytest.raises(FleetInputError):
        capacity_inputs(bare, 1000.0)


def test_analysis_carries_the_plan_through_json() -> None:
    analysis = with_fleet(analysis_from_dict(json.loads(MEM0.read_text())), load_decision_tree().thresholds)
    assert analysis.fleet is not None and analysis.fleet.target_rps == 500
    back = analysis_json.from_dict(json.loads(analysis_json.render(analysis)))
    assert back.fleet == analysis.fleet


def test_plan_command_on_the_mem0_like_analysis() -> None:
    """Acceptance 4: 500 RPS on 2-CPU pods. 50.5 x 0.7 = 35.35 per pod -> ceil(14.14) = 15 replicas."""
    result = CliRunner().invoke(app, ["plan", str(MEM0), "--target-rps", "500", "--cores", "2", "--memory", "2Gi",
                                      "--format", "json"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.output)
    assert (doc["workers_per_pod"], doc["replicas"], doc["hpa"]["max_replicas"]) == (1, 15, 30)
    assert doc["hpa"]["cpu_average_utilization"] == 35  # (0.40 idle + 35.35 x 8.435 ms) / 2 = 0.698 / 2


@pytest.mark.parametrize("args", [["--target-rps", "0"], ["--cores", "-1"], ["--format", "xml"],
                                  ["--service", "x"], ["--cores", "2", "--deploy", "."], ["--memory", "lots"]])
def test_plan_command_bad_input_is_exit_2(args: list[str]) -> None:
    result = CliRunner().invoke(app, ["plan", str(MEM0), *args])
    assert result.exit_code == 2 or getattr(result.exception, "exit_code", None) == 2


def test_pools_at_the_hpa_maximum() -> None:
    # 15 per worker x 1 worker x 16 (HPA max of the I/O-bound plan) = 240 of 100; fit floor(100 x 0.8 / 16) = 5
    pools = (DbPool("app.py", 3, "SQLAlchemy create_engine", "sql", 15, "pool_size 5 + max_overflow 10"),
             DbPool("app.py", 4, "redis-py Redis", "redis", 50, "max_connections 50"))
    p = with_pool_note(plan_fleet(500, pod(), inputs(), TH), pools, TH)
    assert ("DB connections at HPA max", "15 per worker x 1 x 16 replicas = 240 of 100") in p.steps
    assert any("at most 5 per worker" in n for n in p.notes)
    small = with_pool_note(plan_fleet(10, pod(), inputs(), TH), pools[:1], TH)  # 15 x 1 x 4 = 60: no note
    assert not any("PgBouncer" in n for n in small.notes)
    assert db_connections(15, 2, 5, 100, 0.8) == (150, 8)
    assert sql_per_worker(pools) == 15 and sql_per_worker(()) is None


def test_analyze_reads_the_pools_of_the_target_directory() -> None:
    fixture = Path(__file__).parent / "fixtures" / "check" / "pools" / "code" / "bad"
    pools = code_pools(f"{fixture / 'main.py'}:app", None, {})
    assert sorted((p.line, p.per_worker) for p in pools) == [(10, 30), (11, 3000), (15, 10)]
    analysis = dataclasses.replace(analysis_from_dict(json.loads(MEM0.read_text())), pools=pools)
    back = analysis_json.from_dict(json.loads(analysis_json.render(analysis)))
    assert back.pools == pools
    md = fleet_report.pools_markdown(pools, 2)
    assert "| **total sql** | | 40 | 80 (within the default limit 100" in md


def test_analyze_report_has_the_fleet_section(tmp_path) -> None:
    """emit() is analyze's, compare's and advise's one report path: with --target-rps the plan is in every format."""
    from workeradvisor.commands.analyze import emit

    analysis = analysis_from_dict(json.loads(MEM0.read_text()))
    for fmt, marker in (("markdown", "## Fleet plan"), ("text", "Fleet plan"), ("json", '"fleet": {')):
        out = tmp_path / f"report.{fmt}"
        emit(analysis, fmt, str(out))
        assert marker in out.read_text(), fmt
    no_target = dataclasses.replace(analysis, recommendation=dataclasses.replace(
        analysis.recommendation, capacity=dataclasses.replace(analysis.recommendation.capacity, target_rps=None)))
    emit(no_target, "json", str(tmp_path / "none.json"))
    assert json.loads((tmp_path / "none.json").read_text())["fleet"] is None


def test_pod_limits_from_kubernetes_and_compose_files() -> None:
    from workeradvisor.commands.plan import pod_from_deploy

    k8s = pod_from_deploy(str(Path(__file__).parent.parent / "examples" / "deploy" / "k8s"), None)
    assert (k8s.cores, k8s.cpu_request, k8s.memory_bytes) == (2.0, 1.0, GIB)
    compose = pod_from_deploy(str(Path(__file__).parent / "fixtures" / "check" / "fleet" / "compose" / "bad"), "api")
    assert (compose.cores, compose.cpu_request) == (2.0, None)
    # the HPA target is relative to the request: (0.4 idle + 35.35 x 8.435 ms) / 1 CPU = 70%
    plan = plan_fleet(500, k8s, capacity_inputs(analysis_from_dict(json.loads(MEM0.read_text())), 1000.0), TH)
    assert (plan.replicas, plan.hpa_cpu_target) == (15, 70)


@pytest.mark.parametrize("content", ["garbage", "[]", '{"recommendation": 1, "environment": {"cores": 2}}',
                                     '{"recommendation": {"workers": 1}, "environment": {"cores": 2}, "fleet": 5}',
                                     '{"recommendation": {"workers": 1}, "environment": {"cores": 2}}'])
def test_plan_command_bad_analysis_is_one_line_exit_2(content: str, tmp_path) -> None:
    bad = tmp_path / "analysis.json"
    bad.write_text(content)
    result = CliRunner().invoke(app, ["plan", str(bad), "--target-rps", "100"])
    exc = result.exception
    assert getattr(exc, "exit_code", None) == 2 and "\n" not in str(exc), (type(exc), exc)


def test_plan_from_the_manifest_names_the_configured_workers() -> None:
    deploy = str(Path(__file__).parent.parent / "examples" / "deploy")
    result = CliRunner().invoke(app, ["plan", str(MEM0), "--target-rps", "500", "--deploy", deploy, "--service",
                                      "mem0-server/api", "--format", "json"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.output)
    assert (doc["pod"]["cores"], doc["pod"]["cpu_request"], doc["hpa"]["cpu_average_utilization"]) == (2.0, 1.0, 70)
    assert any("runs 4 worker(s) per pod today; this plan runs 1" in n for n in doc["notes"])


def test_docs_sample_is_the_current_output() -> None:
    """docs/fleet-plan.md shows the plan command's Markdown for the saved mem0-like analysis, verbatim."""
    result = CliRunner().invoke(app, ["plan", str(MEM0), "--target-rps", "500", "--cores", "2", "--memory", "2Gi",
                                      "--format", "markdown"])
    assert result.exit_code == 0, result.output
    doc = (Path(__file__).parent.parent / "docs" / "fleet-plan.md").read_text()
    assert result.output.replace("## Fleet plan", "### Fleet plan", 1) in doc
