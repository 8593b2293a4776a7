"""Launch modes without starting anything: flag validation, --env parsing, interpreter discovery,
the --cmd placeholders, and the deploy line carried through text, markdown and JSON."""

from __future__ import annotations

import os
import shlex
import sys
from pathlib import Path

import pytest

from workeradvisor.commands.options import LaunchFlags
from workeradvisor.errors import UsageError
from workeradvisor.launchmodes import LaunchSpec, deploy_command, fill, find_python, parse_env, server_argv


def _venv(root: Path) -> Path:
    py = root / "bin" / "python"
    py.parent.mkdir(parents=True)
    py.write_text("#!/bin/sh\n")
    py.chmod(0o755)
    return py


def test_env_flags_and_file(tmp_path: Path) -> None:
    f = tmp_path / "app.env"
    f.write_text("# comment\nexport A=1\nB='two words'\n\nC=\"x=y\"\n")
    assert parse_env(["A=override", "D="], str(f)) == (("A", "1"), ("B", "two words"), ("C", "x=y"),
                                                       ("A", "override"), ("D", ""))
    assert dict(LaunchSpec(env=parse_env(["A=2"], None)).environ())["A"] == "2"


@pytest.mark.parametrize("bad", ["NOEQUALS", "=v", "1A=v", "A-B=v"])
def test_env_rejects_non_assignments(bad: str) -> None:
    with pytest.raises(UsageError, match="KEY=VALUE"):
        parse_env([bad], None)


def test_env_file_missing(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="--env-file"):
        parse_env([], str(tmp_path / "nope.env"))


def test_find_python_prefers_active_venv_then_project_layouts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    project = tmp_path / "svc"
    (project / "src").mkdir(parents=True)
    (project / "pyproject.toml").write_text("[project]\nname = 'svc'\n")
    app = project / "src" / "main.py"
    app.write_text("app = None\n")
    monkeypatch.delenv("VIRTUAL_ENV", raising=False)
    monkeypatch.delenv("UV_PROJECT_ENVIRONMENT", raising=False)
    monkeypatch.setenv("POETRY_CACHE_DIR", str(tmp_path / "poetry-cache"))
    assert find_python(app) == (sys.executable, "workeradvisor's own environment")
    poetry = _venv(tmp_path / "poetry-cache" / "virtualenvs" / "svc-AbCd1234-py3.11")
    assert find_python(app)[0] == str(poetry)
    plain = _venv(project / "venv")
    assert find_python(app)[0] == str(plain)
    dot = _venv(project / ".venv")
    assert find_python(app)[0] == str(dot)  # .venv before venv/
    active = _venv(tmp_path / "active")
    monkeypatch.setenv("VIRTUAL_ENV", str(tmp_path / "active"))
    assert find_python(app) == (str(active), f"$VIRTUAL_ENV ({tmp_path / 'active'})")


def test_find_python_stops_at_the_project_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("VIRTUAL_ENV", raising=False)
    monkeypatch.delenv("UV_PROJECT_ENVIRONMENT", raising=False)
    _venv(tmp_path / ".venv")  # outside the project: not the project's environment
    project = tmp_path / "svc"
    project.mkdir()
    (project / "pyproject.toml").write_text("[tool.poetry]\nname = 'other'\n")
    app = project / "main.py"
    app.write_text("")
    monkeypatch.setenv("POETRY_CACHE_DIR", str(tmp_path / "none"))
    assert find_python(app)[0] == sys.executable


def test_cmd_placeholders_fill_without_resplitting() -> None:
    argv = fill("serve '{host} dir' --port {port} -w {workers}", "127.0.0.1", 8123, 2)
    assert argv == ["serve", "127.0.0.1 dir", "--port", "8123", "-w", "2"]


@pytest.mark.parametrize(("flags", "workers", "message"), [
    (LaunchFlags(cmd="serve --port 1"), (1,), r"\{port\}"),
    (LaunchFlags(cmd="serve --port {port}"), (1, 2), r"\{workers\}"),
    (LaunchFlags(cmd="serve --port {port} 'open"), (1,), "--cmd"),
    (LaunchFlags(cmd="x {port}", url="http://127.0.0.1:1"), (1,), "not both"),
    (LaunchFlags(pid=1), (1,), "--pid goes with --url"),
    (LaunchFlags(url="http://10.0.0.8:8000"), (1,), "allow-remote"),
    (LaunchFlags(url="http://10.0.0.8:8000", allow_remote=True), (1,), "give --pid"),
    (LaunchFlags(url="http://127.0.0.1:8000", server="gunicorn"), (1,), "do not apply"),
    (LaunchFlags(server="hypercorn"), (1,), "--server"),
    (LaunchFlags(python="/nonexistent/python"), (1,), "not an executable"),
])
def test_bad_combinations_are_usage_errors(flags: LaunchFlags, workers: tuple[int, ...], message: str) -> None:
    with pytest.raises(UsageError, match=message):
        flags.spec("examples/telemetry.py:app", workers)


def test_target_optional_only_with_cmd_or_url() -> None:
    with pytest.raises(UsageError, match="TARGET"):
        LaunchFlags().spec(None)
    assert LaunchFlags(cmd="srv --port {port} -w {workers}").spec(None, (1, 2)).mode == "cmd"
    assert LaunchFlags(url="http://127.0.0.1:8000", pid=os.getpid()).spec(None).mode == "attach"


def test_gunicorn_argv_binds_loopback_with_uvicorn_workers() -> None:
    argv = server_argv(LaunchSpec(server="gunicorn"), sys.executable, "m:app", "/srv", 9000, 3)
    assert argv[argv.index("-k") + 1] == "uvicorn.workers.UvicornWorker"
    assert argv[argv.index("-w") + 1] == "3" and argv[argv.index("-b") + 1] == "127.0.0.1:9000"
    uv = server_argv(LaunchSpec(), sys.executable, "m:app", "/srv", 9000, 1)
    assert "--workers" not in uv and uv[uv.index("--host") + 1] == "127.0.0.1"


def test_deploy_lines_per_mode(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "svc").mkdir()
    g = shlex.split(deploy_command(LaunchSpec(server="gunicorn"), "main:app", str(tmp_path / "svc"), 2) or "")
    assert g[:2] == ["gunicorn", "main:app"] and g[g.index("-w") + 1] == "2" and g[g.index("--chdir") + 1] == "svc"
    u = shlex.split(deploy_command(LaunchSpec(), "main:app", str(tmp_path), 3) or "")
    assert u[:2] == ["uvicorn", "main:app"] and u[u.index("--workers") + 1] == "3" and "--app-dir" not in u
    c = deploy_command(LaunchSpec(cmd="datasette serve --host {host} --port {port}"), "", "", 1)
    assert c == "datasette serve --host 0.0.0.0 --port 8000"
    assert deploy_command(LaunchSpec(url="http://127.0.0.1:1"), "", "", 1) is None


def _with_deploy():
    from dataclasses import replace

    from decide_factories import env, ladder, profile, scan

    from workeradvisor.decide.engine import analyze_results
    from workeradvisor.models import Deploy

    analysis = analyze_results(scan(), profile(cpu_ratio=0.9, cpu_s=0.02), (ladder(),), env(cores=2))
    line = "gunicorn main:app -k uvicorn.workers.UvicornWorker -w 2 -b 0.0.0.0:8000"
    return replace(analysis, deploy=Deploy("gunicorn", line, 2, "/srv/.venv/bin/python", "--python")), line


def test_deploy_line_in_every_format_and_json_round_trip() -> None:
    import json

    from workeradvisor.models.readers.analysis import analysis_from_dict
    from workeradvisor.report import analysis_json, analysis_markdown, analysis_text

    analysis, line = _with_deploy()
    assert f"deploy with: {line}" in analysis_text.render(analysis)
    assert f"Deploy with: `{line}`" in analysis_markdown.render(analysis)
    data = json.loads(analysis_json.render(analysis))
    assert data["deploy"]["command"] == line and data["deploy"]["python_source"] == "--python"
    assert analysis_from_dict(data).deploy == analysis.deploy


def test_attach_predictions_are_labelled_not_measured() -> None:
    from dataclasses import replace

    from decide_factories import env

    from workeradvisor.models import Deploy
    from workeradvisor.orchestrate.launching import with_predictions
    from workeradvisor.report import analysis_markdown, analysis_text

    analysis, _ = _with_deploy()
    analysis = replace(analysis, deploy=Deploy("attach", None, 1))
    out = with_predictions(analysis, 1, (1, 4), env(cores=2))
    rows = {r.workers: r for r in out.recommendation.capacity.rows}
    assert rows[1].measured_peak_rps is not None
    assert rows[2].measured_peak_rps is None and rows[4].measured_peak_rps is None
    assert rows[4].predicted_max_rps == pytest.approx(2 / 0.02)  # capped by the 2 cores
    assert out.deploy is not None and out.deploy.predicted_only == (2, 4)
    assert "predicted, not measured" in analysis_text.render(out)
    assert "| 4 | 100 | predicted, not measured |" in analysis_markdown.render(out)
    assert "no restarts" in analysis_markdown.render(out)
