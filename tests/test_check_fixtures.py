"""Every config kind: each check fires on the line marked in the fixture and stays silent on correct configs."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.check_helpers import FIXTURES, RULES, actual_findings, expected_findings, run_fixture
from workeradvisor.check.engine import run_check
from workeradvisor.rulebook import load_rules
from workeradvisor.scan.engine import scan_rules

# (fixture dir, kinds that must be parsed from it, extra engine options)
CASES = [
    ("dockerfile/reload", {"dockerfile"}, {}),
    ("dockerfile/formula", {"dockerfile"}, {}),
    ("dockerfile/many_workers", {"dockerfile"}, {}),
    ("dockerfile/good", {"dockerfile"}, {}),
    ("compose/bad", {"compose", "dockerfile"}, {}),
    ("compose/dev", {"compose"}, {}),
    ("compose/good", {"compose", "dockerfile"}, {}),
    ("kubernetes/bad", {"kubernetes"}, {}),
    ("kubernetes/good", {"kubernetes"}, {}),
    ("kubernetes/node", {"kubernetes"}, {"node_cpus": 4.0}),
    ("procfile/bad", {"procfile"}, {}),
    ("procfile/good", {"procfile"}, {}),
    ("systemd/bad", {"systemd"}, {}),
    ("systemd/good", {"systemd"}, {}),
    ("gunicorn_conf/bad", {"gunicorn-conf"}, {}),
    ("gunicorn_conf/tainted", {"gunicorn-conf"}, {}),
    ("gunicorn_conf/good", {"gunicorn-conf", "dockerfile"}, {}),
    ("python/unreferenced", {"python"}, {}),
    ("python/served", {"python", "dockerfile"}, {}),
    ("python/good", {"python", "dockerfile"}, {}),
    ("rayserve/bad", {"ray-serve"}, {"node_cpus": 4.0}),
    ("rayserve/good", {"ray-serve"}, {"node_cpus": 4.0}),
    ("analysis/disagree", {"compose"}, {"analysis": "analysis.json"}),
    ("analysis/agree", {"compose"}, {"analysis": "analysis.json"}),
    ("threads/dockerfile_bad", {"dockerfile"}, {}),
    ("threads/compose_bad", {"compose"}, {}),
    ("threads/kubernetes_bad", {"kubernetes"}, {}),
    ("threads/procfile_bad", {"procfile"}, {}),
    ("threads/code_bad", {"dockerfile"}, {}),
    ("threads/good", {"dockerfile", "compose", "kubernetes"}, {}),
    ("threads/computed/good", {"dockerfile"}, {}),  # a computed OMP_NUM_THREADS: no default claim
    ("threads/monorepo", {"compose"}, {}),  # only the app whose code imports numpy
]


@pytest.mark.parametrize(("fixture", "kinds", "options"), CASES, ids=[c[0] for c in CASES])
def test_findings_match_inline_expectations(fixture: str, kinds: set[str], options: dict, monkeypatch) -> None:
    root = FIXTURES / fixture
    report = run_fixture(root, monkeypatch, **options)
    assert report.problems == ()
    assert kinds <= {row.kind for row in report.inventory}, "the fixture's files were not all recognised"
    assert actual_findings(report) == expected_findings(root)


def test_every_good_fixture_is_silent_and_every_bad_one_fires(monkeypatch) -> None:
    """Guards the marker harness itself: bad fixtures carry markers, good ones none."""
    for fixture, _, _ in CASES:
        marks = expected_findings(FIXTURES / fixture)
        if fixture.rsplit("/", 1)[-1] in ("good", "agree", "dev"):
            assert not marks, fixture
        else:
            assert marks, fixture


# Fixture trees whose inline expectations are asserted by other test modules.
TESTED_ELSEWHERE = {
    "scan_evidence": "test_check_evidence.py",
    "analysis/real_telemetry": "test_check_evidence.py",
    "malformed": "test_check_malformed.py",
    "suppress": "test_check_config.py",
    "devcontent": "test_check_config.py",
    "pools": "test_check_pools.py",
    "fleet": "test_check_fleetfit.py",
}


def test_every_fixture_tree_is_checked_against_its_expectations() -> None:
    """A fixture directory nobody runs would make its markers count as coverage without being tested."""
    trees = {p.parent.relative_to(FIXTURES).as_posix() for p in FIXTURES.rglob("*") if p.is_file()}
    covered = {c[0] for c in CASES} | set(TESTED_ELSEWHERE)
    untested = sorted(t for t in trees if not any(t == c or t.startswith(f"{c}/") for c in covered))
    assert untested == []
    for fixture, module in TESTED_ELSEWHERE.items():
        assert f'"{fixture.rsplit("/", 1)[-1]}"' in (Path(__file__).parent / module).read_text(encoding="utf-8")


def test_every_check_rule_has_a_fixture() -> None:
    """Derived from the rulebook, like the scan rules' coverage: a new WA5xx rule needs a fixture line."""
    check_rules = set(load_rules()) - set(scan_rules())
    assert check_rules, "no check rules in the rulebook"
    covered = {rule for (_, _, rule) in expected_findings(FIXTURES)}
    assert sorted(check_rules - covered) == [], "check rules without a fixture line"


def test_host_cores_are_read_only_when_a_config_has_no_cpu_limit(monkeypatch) -> None:
    calls: list[int] = []

    def counting() -> int:
        calls.append(1)
        return 2


    monkeypatch.chdir(FIXTURES / "kubernetes" / "good")  # every container has a CPU limit
    assert run_check(Path("."), RULES, counting, node_cpus=8.0).findings == ()
    assert calls == []
    monkeypatch.chdir(FIXTURES / "dockerfile" / "many_workers")  # no limit: the real cores decide
    assert [f.rule for f in run_check(Path("."), RULES, counting).findings] == ["WA502"]
    assert calls
