"""Broken YAML, an unterminated Dockerfile exec-form array and a gunicorn.conf.py syntax error:
each is one clear line naming the file and line, and the other files are still checked."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import run_cli

from tests.check_helpers import FIXTURES, actual_findings, expected_findings, run_fixture

pytestmark = pytest.mark.parallel  # may run beside other tests (README: the first pytest step)

MALFORMED = FIXTURES / "malformed"
EXPECTED_PROBLEMS = {
    ("broken_yaml/docker-compose.yml", 5, "malformed YAML"),
    ("broken_dockerfile/Dockerfile", 4, "malformed exec-form array"),
    ("broken_gunicorn/gunicorn.conf.py", 4, "Python syntax error"),
}


def test_each_malformed_file_is_one_problem_and_the_rest_is_checked(monkeypatch) -> None:
    report = run_fixture(MALFORMED, monkeypatch)
    got = {(p.path, p.line, next(k for _, _, k in EXPECTED_PROBLEMS if k in p.message)) for p in report.problems}
    assert got == EXPECTED_PROBLEMS
    assert all("\n" not in str(p) for p in report.problems)
    assert actual_findings(report) == expected_findings(MALFORMED)  # the Procfile's --reload still found


@pytest.mark.live
def test_cli_reports_each_file_on_stderr_and_still_fails_on_findings() -> None:
    proc = run_cli("check", ".", "--no-scan", cwd=MALFORMED, env={"NO_COLOR": "1"}, timeout=60)
    errors = [line for line in proc.stderr.splitlines() if line.startswith("workeradvisor: error: ")]
    assert len(errors) == 3, proc.stderr
    assert any("broken_yaml/docker-compose.yml:5: malformed YAML" in e for e in errors)
    assert any("broken_dockerfile/Dockerfile:4: CMD: malformed exec-form array" in e for e in errors)
    assert any("broken_gunicorn/gunicorn.conf.py:4: Python syntax error" in e for e in errors)
    assert "Traceback" not in proc.stderr
    assert "WA506" in proc.stdout and proc.returncode == 1


@pytest.mark.live
def test_only_unparsable_files_exit_2(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text('FROM python\nENTRYPOINT ["uvicorn", "app:app"\n', encoding="utf-8")
    proc = run_cli("check", str(tmp_path), "--no-scan", timeout=60)
    assert proc.returncode == 2
    assert "Dockerfile:2: ENTRYPOINT: malformed exec-form array" in proc.stderr


ODD_SHAPES = {
    "docker-compose.yml": "services:\n  a: null\n  b: [1, 2]\n  c:\n    command: 123\n"
                          "    deploy: {resources: {limits: {cpus: abc, memory: [1]}}, replicas: x}\n"
                          "    environment: 5\n  d:\n    build: {context: 5}\n    cpus: true\n",
    "k.yaml": "apiVersion: v1\nkind: Deployment\nspec:\n  template:\n    spec:\n      containers: [1, {name: x, "
              "command: uvicorn, args: 5, resources: {limits: 3}}]\n---\n- a list\n---\napiVersion: autoscaling/v2\n"
              "kind: HorizontalPodAutoscaler\nspec: {metrics: [null, {resource: 3}]}\n",
    "serve.yaml": "applications: [1, {deployments: [null, {num_replicas: x, ray_actor_options: 3}]}]\n",
    "Dockerfile": "FROM x\nENV\nCMD\nENTRYPOINT []\nCMD [1, 2]\n",
    "Procfile": "web\n:\nx: \n",
    "a.service": "ExecStart=\nCPUQuota=abc%\nEnvironment=\"unterminated\n",
    "gunicorn.conf.py": "workers: int = 3\nreload = 1\nworker_class = 5\n(a, b) = 1, 2\n",
    "m.py": "import uvicorn\nuvicorn.run()\nuvicorn.run(workers='4', reload=flag)\n",
}


@pytest.mark.live
def test_odd_shapes_never_crash(tmp_path: Path) -> None:
    for name, text in ODD_SHAPES.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    proc = run_cli("check", ".", "--no-scan", cwd=tmp_path, timeout=60)
    assert "Traceback" not in proc.stderr and proc.returncode in (0, 1, 2)
    assert "Dockerfile:5: CMD: exec-form must be a JSON array of strings" in proc.stderr
    assert "a.service:3: Environment: No closing quotation" in proc.stderr
    assert "gunicorn.conf.py:1 " in proc.stdout  # the annotated `workers: int = 3` is still read
