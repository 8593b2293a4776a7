"""``workeradvisor advise`` from saved JSON and imported load results, through the real CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import run_cli
from decide_factories import env, finding, ladder, profile, scan
from typer.testing import CliRunner

from workeradvisor.cli import app
from workeradvisor.commands.advise import read_load
from workeradvisor.report import load_json, profile_json

pytestmark = pytest.mark.parallel  # may run beside other tests (README: the first pytest step)

DATA = Path(__file__).parent / "data" / "load"


@pytest.fixture()
def saved(tmp_path: Path) -> dict[str, Path]:
    files = {
        "scan": (tmp_path / "scan.json", scan((finding("blocking-http", "app/gw.py", 40, "requests.get"),)).to_dict()),
        "profile": (tmp_path / "profile.json", profile_json.to_dict(profile(cpu_ratio=0.03, blocked=0.5))),
        "load1": (tmp_path / "load1.json", load_json.to_dict(ladder(1, rps=(40, 45, 46), cpu=(10, 11, 11)))),
        "load2": (tmp_path / "load2.json", load_json.to_dict(ladder(2, rps=(40, 88, 90), cpu=(10, 20, 22)))),
    }
    for path, data in files.values():
        path.write_text(json.dumps(data))
    return {k: v[0] for k, v in files.items()}


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["advise", *args])
    return result.exit_code, result.output


def test_advise_json_from_saved_results(saved: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "analysis.json"
    code, _ = run("--scan", str(saved["scan"]), "--profile", str(saved["profile"]), "--load", str(saved["load1"]),
                  "--load", str(saved["load2"]), "--cores", "2", "--memory", "4G", "--format", "json",
                  "--output", str(out))
    assert code == 0
    data = json.loads(out.read_text())
    rec = data["recommendation"]
    # the 2-worker run gained ~96%, but blocking calls are fixed first: no scaling on that evidence
    assert rec["actions"][0]["kind"] == "fix-blocking" and rec["actions"][0]["sites"][0]["line"] == 40
    assert rec["workers"] == 1
    assert data["environment"]["cores"] == 2 and data["environment"]["memory_source"] == "--memory"
    assert [c["workers"] for c in rec["compare"]] == [1, 2]


def test_advise_no_refactor_takes_the_seed_branch(saved: dict[str, Path]) -> None:
    code, out = run("--scan", str(saved["scan"]), "--load", str(saved["load1"]), "--load", str(saved["load2"]),
                    "--cores", "2", "--no-refactor", "--format", "json")
    assert code == 0
    rec = json.loads(out)["recommendation"]
    assert rec["workers"] == 2 and rec["path"][1]["label"].startswith("no, and no refactor")


def test_advise_threshold_override(saved: dict[str, Path]) -> None:
    args = ("--profile", str(saved["profile"]), "--cores", "2", "--format", "json")
    base = json.loads(run(*args)[1])["recommendation"]["path"]
    code, out = run(*args, "--threshold", "blocked_share_max=0.9")
    assert code == 0
    over = json.loads(out)["recommendation"]["path"]
    assert base[1]["label"] != over[1]["label"] and over[1]["label"] == "yes"


@pytest.mark.parametrize("name", ["oha.json", "wrk_ladder.txt", "wrk_no_latency.txt", "k6_handle_summary.json",
                                  "k6_out.jsonl", "hey.txt", "locust_stats.csv"])
def test_advise_reads_imported_load_results(name: str) -> None:
    code, out = run("--load", f"{DATA / name}@1", "--cores", "2", "--format", "markdown")
    assert code == 0, out
    assert out.startswith("# workeradvisor analysis") and "## Decision path" in out


def test_read_load_worker_suffix(saved: dict[str, Path]) -> None:
    assert read_load(f"{saved['load1']}@4").workers == 4
    assert read_load(str(saved["load2"])).workers == 2


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((), "give at least one of"),
        (("--scan", "/nonexistent.json"), "cannot read"),
        (("--load", "/nonexistent.json"), "no such file"),
        (("--profile", "{bad}"), "not JSON"),
        (("--profile", "{scan}"), "not a workeradvisor profile JSON"),
        (("--load", "{scan}", "--threshold", "nope=1"), "unknown threshold"),
        (("--load", "{scan}", "--memory", "lots"), "--memory"),
        (("--load", "{scan}", "--format", "html"), "--format"),
    ],
)
@pytest.mark.live
def test_advise_bad_input_is_one_line_exit_2(saved: dict[str, Path], tmp_path: Path, args: tuple, message: str) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{nope")
    argv = [a.replace("{bad}", str(bad)).replace("{scan}", str(saved["scan"])) for a in args]
    proc = run_cli("advise", *argv, timeout=60)
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0] and "Traceback" not in proc.stderr


def test_environment_fixture_matches_cli_override(saved: dict[str, Path]) -> None:
    """--cores caps workers like a cgroup quota would: 1 core, CPU-bound -> 1 worker and scale-out."""
    p = saved["profile"]
    p.write_text(json.dumps(profile_json.to_dict(profile(cpu_ratio=0.9, cpu_s=0.02))))
    code, out = run("--profile", str(p), "--cores", "1", "--format", "json")
    rec = json.loads(out)["recommendation"]
    assert code == 0 and rec["workers"] == 1 and "scale-out" in [a["kind"] for a in rec["actions"]]
    assert env(cores=1).usable_workers == 1
