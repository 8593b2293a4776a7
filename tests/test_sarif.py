"""SARIF from ``scan`` and ``check`` against the official OASIS 2.1.0 schema, with what code scanning
needs: repository-root URIs (also when run from a subdirectory), chains as codeFlows, rule help
without placeholders, distinct automation ids and drivers."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from typer.testing import CliRunner

from workeradvisor.cli import app
from workeradvisor.report import sarif
from workeradvisor.rulebook import load_rules

SCHEMA = json.loads((Path(__file__).parent / "data" / "sarif" / "sarif-schema-2.1.0.json").read_text())
APP = '''import requests
from fastapi import FastAPI
app = FastAPI()


def helper():
    return requests.get("http://example.invalid")  # the blocking call, 2 hops down


@app.get("/")
async def root():
    return helper()
'''
DOCKERFILE = 'FROM python:3.12\nCMD ["uvicorn", "app:app", "--reload"]\n'


def validate(doc: dict[str, Any]) -> None:
    jsonschema.Draft4Validator(SCHEMA).validate(doc)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A git checkout with the service in ``pkg/`` (no git binary needed: a ``.git`` dir marks the root)."""
    (tmp_path / ".git").mkdir()
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    (pkg / "app.py").write_text(APP)
    (pkg / "Dockerfile").write_text(DOCKERFILE)
    return tmp_path


def invoke(cwd: Path, monkeypatch: pytest.MonkeyPatch, *args: str) -> dict[str, Any]:
    monkeypatch.chdir(cwd)
    result = CliRunner().invoke(app, list(args))
    assert result.exit_code in (0, 1), result.output
    return json.loads(result.stdout)


def uris(doc: dict[str, Any]) -> set[str]:
    return {loc["physicalLocation"]["artifactLocation"]["uri"]
            for r in doc["runs"][0]["results"] for loc in r["locations"]}


def test_scan_sarif_from_a_subdirectory_maps_to_repository_root(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    doc = invoke(repo / "pkg", monkeypatch, "scan", ".", "--format", "sarif")
    validate(doc)
    run = doc["runs"][0]
    assert uris(doc) == {"pkg/app.py"}
    assert run["originalUriBaseIds"]["%SRCROOT%"]["uri"] == repo.resolve().as_uri() + "/"
    assert run["automationDetails"]["id"] == "workeradvisor/scan/"
    assert run["tool"]["driver"]["name"] == "workeradvisor-scan"
    assert "informationUri" not in run["tool"]["driver"]


def test_scan_sarif_chain_is_a_code_flow(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    doc = invoke(repo, monkeypatch, "scan", "pkg", "--format", "sarif")
    validate(doc)
    (result,) = [r for r in doc["runs"][0]["results"] if r["ruleId"] == "WA101"]
    steps = result["codeFlows"][0]["threadFlows"][0]["locations"]
    lines = [s["location"]["physicalLocation"]["region"]["startLine"] for s in steps]
    assert lines[0] == result["locations"][0]["physicalLocation"]["region"]["startLine"] == 12
    assert lines[-1] == 7  # requests.get inside helper()
    assert {s["location"]["physicalLocation"]["artifactLocation"]["uri"] for s in steps} == {"pkg/app.py"}
    related = result["relatedLocations"]
    assert [r["id"] for r in related] == list(range(1, len(related) + 1))
    assert related[-1]["message"]["text"] == "requests.get"


def test_check_sarif_validates_and_is_a_separate_run(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    doc = invoke(repo / "pkg", monkeypatch, "check", ".", "--format", "sarif", "--no-scan")
    validate(doc)
    run = doc["runs"][0]
    assert run["automationDetails"]["id"] == "workeradvisor/check/"
    assert run["tool"]["driver"]["name"] == "workeradvisor-check"
    assert uris(doc) == {"pkg/Dockerfile"}
    assert {r["ruleId"] for r in run["results"]} == {"WA506"}


def test_check_sarif_with_scan_and_no_deployment_files_validates(tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    (tmp_path / "app.py").write_text(APP)
    doc = invoke(tmp_path, monkeypatch, "check", ".", "--format", "sarif")
    validate(doc)
    notes = [n["message"]["text"] for n in doc["runs"][0]["invocations"][0]["toolExecutionNotifications"]]
    assert any("no deployment files found" in n for n in notes), notes


def test_rule_help_has_no_unfilled_placeholders() -> None:
    doc = sarif.document([], load_rules())
    validate(doc)
    for rule in doc["runs"][0]["tool"]["driver"]["rules"]:
        for text in (rule["help"]["text"], rule["help"]["markdown"], rule["fullDescription"]["text"]):
            assert not re.search(r"\{[a-z_]+\}", text), (rule["id"], text)
        assert "helpUri" not in rule
    wa501 = next(r for r in doc["runs"][0]["tool"]["driver"]["rules"] if r["id"] == "WA501")
    assert "at most the CPU limit rounded up" in wa501["help"]["text"]


def test_undecodable_file_name_does_not_crash(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / ".git").mkdir()
    try:
        (tmp_path / "bad\udcff.py".encode("utf-8", "surrogateescape").decode("utf-8", "surrogateescape")
         ).write_text(APP)
    except (OSError, UnicodeEncodeError):
        pytest.skip("this file system refuses a name with a 0xFF byte")
    doc = invoke(tmp_path, monkeypatch, "scan", ".", "--format", "sarif")
    validate(doc)
    assert uris(doc) == {"bad%FF.py"}


def test_repository_root_prefers_git_then_pyproject(tmp_path: Path) -> None:
    (tmp_path / "svc" / "src").mkdir(parents=True)
    (tmp_path / "svc" / "pyproject.toml").write_text("")
    assert sarif.repository_root(["svc/src"], cwd=str(tmp_path)) == str(tmp_path / "svc")
    (tmp_path / ".git").mkdir()
    assert sarif.repository_root(["svc/src"], cwd=str(tmp_path)) == str(tmp_path)
