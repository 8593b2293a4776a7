"""The ``scan``, ``rules`` and ``explain`` commands end to end: formats, exit codes, configuration."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from conftest import ROOT, run_cli

pytestmark = pytest.mark.parallel  # may run beside other tests (README: the first pytest step)

BLOCKING = "import requests\n\nasync def handler(url):\n    return requests.get(url)\n"
WARN_ONLY = "import os\n\nasync def handler(p):\n    return os.path.exists(p)\n"


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch):
    """``workeradvisor.cli.main`` in-process (same code path, without a 1-5 s interpreter start)."""
    from workeradvisor import cli as cli_module

    def invoke(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
        monkeypatch.chdir(cwd)
        monkeypatch.setattr(sys, "argv", ["workeradvisor", *args])
        capsys.readouterr()
        code = 0
        try:
            cli_module.main()
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
        out, err = capsys.readouterr()
        return subprocess.CompletedProcess(args, code, out, err)

    return invoke


@pytest.mark.live
def test_json_for_examples_is_valid_and_stable(cli) -> None:
    proc = run_cli("scan", "examples", "tests/fixtures/scan", "--format", "json", "--fail-on", "never")
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert set(doc) == {"version", "files_scanned", "errors", "summary", "findings"}
    assert doc["version"] == 1 and doc["files_scanned"] > 0
    keys = {"rule", "name", "category", "severity", "path", "line", "col", "function", "symbol", "message", "fix",
            "chain", "chain_sites", "context", "entry"}
    assert doc["findings"] and all(set(f) == keys for f in doc["findings"])
    assert all(not f["path"].startswith("/") for f in doc["findings"])
    assert {"files_scanned", "async_endpoints", "sync_endpoints", "async_ratio", "findings_by_category"} <= set(
        doc["summary"])
    again = cli("scan", "examples", "tests/fixtures/scan", "--format", "json", "--fail-on", "never")
    assert again.stdout == proc.stdout


def test_sarif_for_examples_has_what_github_code_scanning_needs(tmp_path: Path, cli) -> None:
    out = tmp_path / "scan.sarif"
    proc = cli("scan", "examples", "tests/fixtures/scan", "--format", "sarif", "--output", str(out),
               "--fail-on", "never")
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(out.read_text())
    assert doc["version"] == "2.1.0" and doc["$schema"].endswith("sarif-2.1.0.json")
    (run_,) = doc["runs"]
    rules = run_["tool"]["driver"]["rules"]
    ids = [r["id"] for r in rules]
    assert len(ids) == len(set(ids)) and "WA101" in ids
    assert all(r["shortDescription"]["text"] and r["defaultConfiguration"]["level"] in ("error", "warning", "note")
               for r in rules)
    assert run_["results"]
    fingerprints = set()
    for res in run_["results"]:
        assert rules[res["ruleIndex"]]["id"] == res["ruleId"]
        loc = res["locations"][0]["physicalLocation"]
        assert not loc["artifactLocation"]["uri"].startswith("/")
        assert loc["region"]["startLine"] >= 1 and loc["region"]["startColumn"] >= 1
        fp = res["partialFingerprints"]["workeradvisorFinding/v1"]
        fingerprints.add(fp)
        assert res["message"]["text"] and res["level"] in ("error", "warning", "note")
    assert len(fingerprints) == len(run_["results"])


def test_markdown_groups_by_file(tmp_path: Path, cli) -> None:
    (tmp_path / "a.py").write_text(BLOCKING)
    (tmp_path / "b.py").write_text(WARN_ONLY)
    proc = cli("scan", ".", "--format", "markdown", cwd=tmp_path)
    assert proc.returncode == 1
    assert "### `a.py`" in proc.stdout and "### `b.py`" in proc.stdout
    assert proc.stdout.index("### `a.py`") < proc.stdout.index("`WA124`")


@pytest.mark.parametrize(
    ("source", "args", "code"),
    [
        (BLOCKING, [], 1),
        (BLOCKING, ["--fail-on", "never"], 0),
        (WARN_ONLY, [], 0),
        (WARN_ONLY, ["--fail-on", "warning"], 1),
        (BLOCKING, ["--ignore", "WA1"], 0),
        (BLOCKING, ["--select", "WA2"], 0),
        ("x = 1\n", [], 0),
    ],
)
def test_exit_codes(tmp_path: Path, source: str, args: list[str], code: int, cli) -> None:
    (tmp_path / "app.py").write_text(source)
    proc = cli("scan", "app.py", *args, cwd=tmp_path)
    assert proc.returncode == code, proc.stdout + proc.stderr


@pytest.mark.live
def test_malformed_rule_file_is_one_line_exit_2(tmp_path: Path) -> None:
    rules = tmp_path / "myrules"
    rules.mkdir()
    (rules / "bad.yaml").write_text("rules:\n  - id: WA401\n    name: [unclosed\n")
    (tmp_path / "app.py").write_text("x = 1\n")
    proc = run_cli("scan", "app.py", "--rules", str(rules), cwd=tmp_path)
    assert proc.returncode == 2
    assert len(proc.stderr.strip().splitlines()) == 1 and "bad.yaml" in proc.stderr and "Traceback" not in proc.stderr


def test_unknown_rule_prefix_is_usage_error(tmp_path: Path, cli) -> None:
    (tmp_path / "app.py").write_text("x = 1\n")
    proc = cli("scan", "app.py", "--select", "WA9", cwd=tmp_path)
    assert proc.returncode == 2 and "WA9" in proc.stderr


def test_user_rules_and_pyproject_config(tmp_path: Path, cli) -> None:
    (tmp_path / "myrules").mkdir()
    (tmp_path / "myrules" / "mine.yaml").write_text(textwrap.dedent("""
        rules:
          - id: WA401
            name: slow-legacy-client
            category: blocking-http
            severity: error
            message: "legacy client {symbol} blocks"
            fix: "use the async client"
            docs: "The legacy client is synchronous and blocks the loop for a full network round trip."
            match:
              calls: [legacy.fetch]
    """))
    (tmp_path / "pyproject.toml").write_text(textwrap.dedent("""
        [tool.workeradvisor]
        rules = ["myrules"]
        ignore = ["WA111"]
        exclude = ["generated/"]
        fail-on = "warning"

        [tool.workeradvisor.per-file-ignores]
        "tools/*.py" = ["WA101"]
    """))
    (tmp_path / "app.py").write_text(
        "import legacy, time\n\nasync def h():\n    legacy.fetch()\n    time.sleep(1)\n    legacy.other()\n")
    (tmp_path / "generated").mkdir()
    (tmp_path / "generated" / "gen.py").write_text(BLOCKING)
    (tmp_path / "tools").mkdir()  # not scripts/: that is unserved code, never reported by default
    (tmp_path / "tools" / "tool.py").write_text(BLOCKING)
    (tmp_path / "tools" / "warn.py").write_text(WARN_ONLY)
    proc = cli("scan", ".", "--format", "json", cwd=tmp_path)
    doc = json.loads(proc.stdout)
    got = sorted((f["path"], f["line"], f["rule"]) for f in doc["findings"])
    assert got == [("app.py", 4, "WA401"), ("tools/warn.py", 4, "WA124")]
    assert proc.returncode == 1  # fail-on = warning from pyproject
    assert doc["files_scanned"] == 3


def test_gitignore_and_virtualenvs_are_skipped(tmp_path: Path, cli) -> None:
    (tmp_path / ".gitignore").write_text("build_out/\n*_pb2.py\n")
    for rel in ("build_out/x.py", "api_pb2.py", ".venv/lib/site.py", "env2/pyvenv.cfg", "env2/lib/a.py",
                "lib/site-packages/pkg/m.py", "keep/app.py"):
        p = tmp_path / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(BLOCKING if rel.endswith(".py") else "home = /usr\n")
    (tmp_path / "keep" / "sub").mkdir()
    (tmp_path / "keep" / "sub" / ".gitignore").write_text("local_only.py\n")
    (tmp_path / "keep" / "sub" / "local_only.py").write_text(BLOCKING)
    proc = cli("scan", ".", "--format", "json", cwd=tmp_path)
    doc = json.loads(proc.stdout)
    assert sorted({f["path"] for f in doc["findings"]}) == ["keep/app.py"]


def test_rules_and_explain_commands(cli) -> None:
    listed = cli("rules")
    assert listed.returncode == 0
    assert [line.split()[0] for line in listed.stdout.splitlines()][:2] == ["WA101", "WA102"]
    explained = cli("explain", "wa101")
    assert explained.returncode == 0 and "requests" in explained.stdout and "Fix:" in explained.stdout
    missing = cli("explain", "WA999")
    assert missing.returncode == 2 and "WA999" in missing.stderr
    md = cli("rules", "--markdown")
    assert md.stdout == (ROOT / "docs" / "rules.md").read_text()


def test_missing_path_is_a_usage_error_not_a_green_gate(tmp_path: Path, cli) -> None:
    proc = cli("scan", "no_such_dir", cwd=tmp_path)
    assert proc.returncode == 2 and "no_such_dir" in proc.stderr and "Traceback" not in proc.stderr
    (tmp_path / "app.py").write_text("x = 1\n")  # one good path among missing ones: scan it, list the rest
    proc = cli("scan", "app.py", "no_such_dir", "--format", "json", cwd=tmp_path)
    data = json.loads(proc.stdout)
    assert proc.returncode == 0 and data["files_scanned"] == 1 and data["errors"][0]["path"].endswith("no_such_dir")
