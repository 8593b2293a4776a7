"""``workeradvisor load`` end to end: real uvicorn on 127.0.0.1, exit codes for bad input."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from conftest import run_cli

from workeradvisor.launch import RunningServer

DATA = Path(__file__).parent / "data" / "load"

pytestmark = [pytest.mark.live, pytest.mark.parallel]  # every test here starts processes


def cli(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return run_cli("load", *args, timeout=timeout)


def test_ladder_json_with_server_sampling(server: RunningServer) -> None:
    done = cli(server.base_url + "/", "--ccu", "1,4", "--stage-seconds", "0.6", "--warmup", "0.2", "--pid",
               str(server.pid), "--format", "json")
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert [s["ccu"] for s in data["stages"]] == [1, 4]
    for s in data["stages"]:
        assert s["requests"] > 0 and s["errors"]["total"] == 0
        assert s["server"]["processes"][0]["pid"] == server.pid
        assert s["server"]["total_cpu_percent"] > 0
        assert s["generator"]["cpu_percent"] > 0


def test_rate_stage_markdown_to_file(server: RunningServer, tmp_path: Path) -> None:
    out = tmp_path / "report.md"
    done = cli(server.base_url + "/", "--rate", "100", "--stage-seconds", "1", "--warmup", "0", "--format",
               "markdown", "--output", str(out))
    assert done.returncode == 0, done.stderr
    text = out.read_text()
    assert "| rate 100/s |" in text


def test_text_table_and_spec(server: RunningServer, tmp_path: Path) -> None:
    spec = tmp_path / "s.yaml"
    spec.write_text("requests:\n  - path: /items/{randint:1:9}\n  - path: /error500\n", encoding="utf-8")
    done = cli(server.base_url, "--requests", str(spec), "--ccu", "2", "--stage-seconds", "0.5", "--warmup", "0")
    assert done.returncode == 0, done.stderr
    assert "ccu 2" in done.stdout and "5xx" in done.stdout


def test_import_and_export(tmp_path: Path) -> None:
    done = cli("--import", str(DATA / "wrk_lua.txt"), "--format", "json")
    assert done.returncode == 0 and json.loads(done.stdout)["source"] == "wrk"
    lf = tmp_path / "locustfile.py"
    done = cli("http://127.0.0.1:8000/", "--export-locustfile", str(lf))
    assert done.returncode == 0 and "class SpecUser" in lf.read_text()


@pytest.mark.parametrize("args, message", [
    (["http://127.0.0.1:1/", "--format", "xml"], "--format"),
    (["http://127.0.0.1:1/", "--ccu", "a,b"], "--ccu"),
    (["http://10.0.0.1/"], "allow-remote"),
    (["http://127.0.0.1:1/", "--requests", "/nonexistent.yaml"], "cannot read"),
    (["--import", "/nonexistent.json"], "cannot read"),
    ([], "URL"),
    (["http://127.0.0.1:1/", "--stop-on-errors", "2"], "fraction"),
    (["http://127.0.0.1:1/", "--stage-seconds", "0"], "seconds"),
])
def test_bad_input_is_one_line_and_exit_2(args: list[str], message: str) -> None:
    done = cli(*args)
    assert done.returncode == 2
    assert message in done.stderr and "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


def test_dead_pid_is_a_target_error() -> None:
    done = cli("http://127.0.0.1:1/", "--pid", "999999999", "--ccu", "1", "--stage-seconds", "1")
    assert done.returncode == 3 and "no such process" in done.stderr


def test_a_port_that_refuses_every_connection_reports_the_stage_and_exits_3() -> None:
    from workeradvisor.launch import free_port

    url = f"http://127.0.0.1:{free_port()}/"  # bound then released: nothing listens there
    done = cli(url, "--ccu", "2", "--stage-seconds", "1", "--warmup", "0", "--format", "json")
    assert done.returncode == 3 and "never answered" in done.stderr and "Traceback" not in done.stderr
    stage = json.loads(done.stdout)["stages"][0]  # the partial result is still reported
    assert stage["errors"]["connect"] > 0 and stage["rps"] == 0
