"""WA521/WA522: the fleet at full scale against the host, the namespace quota and the Ray node (check/fleetfit.py).

The fixtures under fixtures/check/"fleet" carry inline expectations; the arithmetic is in each file's comment.
"""

from __future__ import annotations

import pytest

from tests.check_helpers import FIXTURES, actual_findings, expected_findings, run_fixture

FLEET = FIXTURES / "fleet"
CASES = ["compose/bad", "compose/good", "quota/bad", "quota/good", "ray/bad", "ray/good"]


@pytest.mark.parametrize("fixture", CASES)
def test_fleet_findings_match_inline_expectations(fixture: str, monkeypatch) -> None:
    root = FLEET / fixture
    report = run_fixture(root, monkeypatch, node_cpus=4.0)
    assert report.problems == ()
    assert actual_findings(report) == expected_findings(root)
    assert bool(expected_findings(root)) == fixture.endswith("bad")


def test_compose_message_counts_replicas_times_workers(monkeypatch) -> None:
    (f,) = run_fixture(FLEET / "compose" / "bad", monkeypatch, node_cpus=4.0).findings
    assert "api 3 x 2 worker(s) + admin 1 x 1 worker(s)" in f.message and "need 7 CPU" in f.message
    # the same file on an 8-CPU host fits
    assert run_fixture(FLEET / "compose" / "bad", monkeypatch, node_cpus=8.0).findings == ()


def test_quota_uses_the_hpa_maximum(monkeypatch) -> None:
    (f,) = run_fixture(FLEET / "quota" / "bad", monkeypatch).findings
    assert "api/api 8 x 2 CPU limits.cpu" in f.message and "need 16 CPU" in f.message and "12 CPU" in f.message


def test_ray_router_counts_at_max_replicas(monkeypatch) -> None:
    report = run_fixture(FLEET / "ray" / "bad", monkeypatch, node_cpus=4.0)
    wa522 = next(f for f in report.findings if f.rule == "WA522")
    assert "embed/IngressProxy 1 CPU x 3" in wa522.message and "models alone need 2" in wa522.message


def test_quota_counts_only_workloads_in_its_directory(tmp_path, monkeypatch) -> None:
    (tmp_path / "team").mkdir()
    (tmp_path / "team" / "deploy.yaml").write_text((FLEET / "quota" / "bad" / "deploy.yaml").read_text())
    (tmp_path / "other").mkdir()  # another namespace's big workload does not count against team's quota
    (tmp_path / "other" / "big.yaml").write_text(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: big}\nspec:\n  replicas: 50\n  template:\n"
        "    spec:\n      containers:\n        - name: big\n          image: x\n"
        "          resources: {limits: {cpu: '4'}}\n")
    findings = run_fixture(tmp_path, monkeypatch).findings
    assert [(f.rule, f.path) for f in findings] == [("WA521", "team/deploy.yaml")]
    assert "need 16 CPU" in findings[0].message
