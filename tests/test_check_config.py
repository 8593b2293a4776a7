"""``check`` honours its configuration: inline suppression (hadolint style) in every deployment
file kind, development configs recognised by content, ``[tool.workeradvisor]`` select/ignore/
fail-on and ``--select/--ignore``, and "no deployment files found" said plainly in every format.

Expected findings are written in the fixtures (``# expect: WA506``), as in test_check_fixtures."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.check_helpers import FIXTURES, actual_findings, expected_findings, run_fixture
from workeradvisor.check.engine import NO_FILES
from workeradvisor.check.suppress import ALL, suppressions
from workeradvisor.cli import app
from workeradvisor.errors import ConfigError

GROUPS = ("suppress", "devcontent")  # every directory below these is a case (listed in test_check_fixtures)
CASES = [f"{group}/{d.name}" for group in GROUPS for d in sorted((FIXTURES / group).iterdir()) if d.is_dir()]
RELOAD_EVERYWHERE = 'FROM python:3.12\nCMD ["uvicorn", "app:app", "--reload", "--workers", "$(nproc)"]\n'
APP = 'from fastapi import FastAPI\napp = FastAPI()\n\n\n@app.get("/")\ndef sync_endpoint():\n    return 1\n'


@pytest.mark.parametrize("fixture", CASES)
def test_findings_match_inline_expectations(fixture: str, monkeypatch: pytest.MonkeyPatch) -> None:
    root = FIXTURES / fixture
    report = run_fixture(root, monkeypatch)
    assert report.problems == ()
    assert report.inventory, "the fixture's files were not recognised"
    assert actual_findings(report) == expected_findings(root)


@pytest.mark.parametrize("fixture", ["devcontent/project_name", "devcontent/bind_mount", "devcontent/dev_dockerfile"])
def test_dev_configs_by_content_say_why(fixture: str, monkeypatch: pytest.MonkeyPatch) -> None:
    report = run_fixture(FIXTURES / fixture, monkeypatch)
    compose = [r for r in report.inventory if r.kind == "compose"]
    assert compose and not any(r.production for r in compose)
    assert all(any(n.startswith("development config: ") for n in r.notes) for r in compose)


def test_suppression_comment_parsing() -> None:
    marks = suppressions("a\n# workeradvisor: ignore[wa506, WA501]\nb\nc  # workeradvisor: ignore\n")
    assert marks == {2: {"WA506", "WA501"}, 3: {"WA506", "WA501"}, 4: ALL, 5: ALL}
    assert suppressions("x\n# workeradvisor: ignore-file[WA506]\n") == {0: {"WA506"}}


def invoke(cwd: Path, monkeypatch: pytest.MonkeyPatch, *args: str) -> tuple[int, str]:
    monkeypatch.chdir(cwd)
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)
    result = CliRunner().invoke(app, ["check", *args])
    return result.exit_code, result.stdout


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "Dockerfile").write_text(RELOAD_EVERYWHERE)  # WA503 (error) and WA506 (error)
    (tmp_path / "app.py").write_text(APP)  # a sync endpoint: the scan part must still run
    return tmp_path


def rules_of(out: str) -> set[str]:
    return {f["rule"] for f in json.loads(out)["findings"]}


def test_pyproject_ignore_silences_a_check_rule_and_keeps_the_scan(project: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    code, out = invoke(project, monkeypatch, ".", "-f", "json")
    assert rules_of(out) == {"WA503", "WA506"} and code == 1
    (project / "pyproject.toml").write_text('[tool.workeradvisor]\nignore = ["WA506", "WA301"]\n')
    code, out = invoke(project, monkeypatch, ".", "-f", "json", "--target-ccu", "500")
    doc = json.loads(out)
    assert rules_of(out) >= {"WA503"} and "WA506" not in rules_of(out)
    assert not any("scan failed" in n or "skipped" in n for n in doc["notes"]), doc["notes"]


def test_pyproject_select_and_fail_on(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (project / "pyproject.toml").write_text('[tool.workeradvisor]\nselect = ["WA506"]\nfail-on = "never"\n')
    code, out = invoke(project, monkeypatch, ".", "-f", "json", "--no-scan")
    assert rules_of(out) == {"WA506"} and code == 0
    code, _ = invoke(project, monkeypatch, ".", "--no-scan", "--fail-on", "error")
    assert code == 1  # the command line wins over pyproject


def test_cli_select_and_ignore(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _, out = invoke(project, monkeypatch, ".", "-f", "json", "--no-scan", "--ignore", "WA506")
    assert rules_of(out) == {"WA503"}
    _, out = invoke(project, monkeypatch, ".", "-f", "json", "--no-scan", "--select", "WA506,WA501")
    assert rules_of(out) == {"WA506"}
    result = CliRunner().invoke(app, ["check", ".", "--no-scan", "--ignore", "WA999"])
    assert isinstance(result.exception, ConfigError) and result.exception.exit_code == 2
    assert "unknown rule or prefix 'WA999'" in str(result.exception)


def test_scan_accepts_check_codes_in_the_shared_section(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (project / "pyproject.toml").write_text('[tool.workeradvisor]\nignore = ["WA506"]\n')
    monkeypatch.chdir(project)
    result = CliRunner().invoke(app, ["scan", "app.py", "-f", "json"])
    assert result.exit_code in (0, 1), result.output
    assert json.loads(result.stdout)["version"] == 1


@pytest.mark.parametrize("fmt", ["text", "json", "markdown", "sarif", "github"])
def test_no_deployment_files_is_said_plainly(fmt: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "README.md").write_text("nothing to deploy\n")
    summary = tmp_path / "summary.md"
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    result = CliRunner().invoke(app, ["check", ".", "--no-scan", "-f", fmt])
    assert result.exit_code == 0
    assert "no deployment files found" in result.stdout
    if fmt == "github":
        assert "no deployment files found" in summary.read_text()
    assert NO_FILES.startswith("no deployment files found")


def test_inventory_json_has_json_types(monkeypatch: pytest.MonkeyPatch) -> None:
    """Numbers are numbers, unknown is null, and where the worker count came from is its own field."""
    examples = Path(__file__).resolve().parent.parent / "examples" / "deploy"
    code, out = invoke(examples, monkeypatch, ".", "-f", "json", "--no-scan", "--node-cpus", "4")
    assert code == 1
    rows = {(r["kind"], r["name"]): r for r in json.loads(out)["inventory"]}
    image = rows[("dockerfile", "image")]
    assert (image["workers"], image["workers_source"], image["cpu_limit"], image["memory_limit"]) == (
        1, "default", None, None)
    server = rows[("compose", "mem0-server")]
    assert server["workers"] is None and server["workers_source"] == "formula"
    assert server["workers_expression"] == "multiprocessing.cpu_count() * 2 + 1"
    assert (server["cpu_limit"], server["cpu_request"], server["memory_limit"]) == (2.0, 1.0, 1024 ** 3)
    k8s = rows[("kubernetes", "mem0-server/api")]
    assert (k8s["workers"], k8s["workers_source"], k8s["replicas"]) == (4, "command", 2)
    for row in rows.values():
        assert "" not in row.values(), row  # unknown is null, never ""
    _, text = invoke(examples, monkeypatch, ".", "--no-scan", "--node-cpus", "4")
    assert "formula multiprocessing.cpu_count() * 2 + 1" in text and "1 GiB" in text and "1 (default)" in text
