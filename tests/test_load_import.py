"""Import parsers on real outputs made here (wrk 4.1, hey 0.1.4, k6 1.1.0, Locust 2.47; see
tests/data/load/README.md) and a typed oha sample; unknown percentiles stay unknown everywhere."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from rich.console import Console

from workeradvisor.errors import ConfigError
from workeradvisor.load.importers import import_file
from workeradvisor.load.importers.locust import classify
from workeradvisor.models.load import LoadResult
from workeradvisor.report import load_json, load_markdown, load_text

DATA = Path(__file__).parent / "data" / "load"
PCTS = ("p50", "p90", "p95", "p99", "p999")


def test_wrk_text_ladder_becomes_stages() -> None:
    r = import_file(str(DATA / "wrk_ladder.txt"))
    assert r.source == "wrk"
    assert [s.ccu for s in r.stages] == [10, 50]
    first = r.stages[0]
    assert first.requests == 16315  # "16315 requests in 1.00s"
    assert first.latency_ms.p50 == pytest.approx(0.502)  # "50%  502.00us"
    assert first.latency_ms.p99 == pytest.approx(2.37)
    assert first.latency_ms.max == pytest.approx(11.77)
    assert first.bytes_received == int(2.21 * 1024**2)
    assert first.latency_ms.p95 is None and first.latency_ms.p999 is None  # wrk's text has neither
    assert [s.rps for s in r.stages] == [16242.98, 17861.88]  # "Requests/sec:" as printed
    assert any("p95" in n for n in r.notes)


def test_wrk_with_latency_keeps_printed_rps() -> None:
    s = import_file(str(DATA / "wrk_latency.txt")).stages[0]
    assert s.ccu == 10 and s.requests == 370
    assert s.rps == 182.35  # printed; 370 / 2.03 s would be 182.27
    assert (s.latency_ms.p50, s.latency_ms.p90, s.latency_ms.p99) == (52.13, 58.53, 63.56)
    assert s.latency_ms.mean == 53.46 and s.latency_ms.max == 63.59


def test_wrk_without_latency_has_unknown_percentiles() -> None:
    r = import_file(str(DATA / "wrk_no_latency.txt"))
    s = r.stages[0]
    assert s.requests == 33786 and s.rps == 16119.39  # printed; 33786 / 2.10 s would be 16088.57
    assert all(getattr(s.latency_ms, p) is None for p in PCTS)
    assert s.latency_ms.mean == 1.3 and s.latency_ms.max == 16.52  # the Thread Stats line is still read
    assert any("--latency" in n for n in r.notes)


def test_wrk_lua_json_line_wins_over_text() -> None:
    r = import_file(str(DATA / "wrk_lua.txt"))
    s = r.stages[0]
    assert s.ccu == 20
    assert s.requests == 16014 and s.bytes_received == 2562240
    assert s.errors.http_5xx == 16014  # every answer was a 500: wrk's "status" errors
    assert s.latency_ms.p95 == pytest.approx(2.094) and s.latency_ms.p999 == pytest.approx(5.17)
    assert s.rps == 16004.41
    assert any("4xx" in n for n in r.notes)


def test_wrk_timeouts_measure_no_latency() -> None:
    s = import_file(str(DATA / "wrk_timeout.txt")).stages[0]
    assert s.errors.timeout == 4 and s.requests == 0
    assert all(getattr(s.latency_ms, p) is None for p in PCTS)  # wrk printed 0.00us for an empty histogram


def test_locust_stats_and_failures() -> None:
    r = import_file(str(DATA / "locust_stats.csv"))
    s = r.stages[0]
    assert r.source == "locust"
    assert s.ccu == 10  # peak user count from the history file next to it
    assert s.errors.http_5xx == 3349 and s.errors.total == 3349  # LocustBadStatusCode(code=500)
    assert s.rps == pytest.approx(4145.42, abs=0.01)
    assert s.latency_ms.p99 == 3 and s.latency_ms.max == 34


def test_locust_history_is_a_ladder() -> None:
    r = import_file(str(DATA / "locust_stats_history.csv"))
    assert [s.ccu for s in r.stages] == [5, 10]
    five, ten = r.stages
    assert five.requests == 15276 and five.errors.http_5xx == 1523
    assert ten.requests == 33205 - 15276
    assert five.rps == pytest.approx(15276 / 4)


def test_locust_na_percentile_is_unknown(tmp_path: Path) -> None:
    lines = (DATA / "locust_stats.csv").read_text(encoding="utf-8").splitlines()
    head = lines[0].split(",")
    row = lines[3].split(",")
    row[head.index("99%")] = "N/A"
    (tmp_path / "x_stats.csv").write_text("\n".join([lines[0], ",".join(row)]) + "\n", encoding="utf-8")
    s = import_file(str(tmp_path / "x_stats.csv")).stages[0]
    assert s.latency_ms.p99 is None and s.latency_ms.p90 == 2


def test_locust_error_classes() -> None:
    assert classify("LocustBadStatusCode(code=503)") == "http_5xx"
    assert classify("HTTPError('404 Client Error: Not Found for url: /x')") == "http_4xx"
    assert classify("ConnectionRefusedError(111, 'Connection refused')") == "connect"
    assert classify("ReadTimeout('timed out')") == "timeout"
    assert classify("RemoteDisconnected('closed')") == "read"


def test_oha_typed_sample() -> None:
    r = import_file(str(DATA / "oha.json"), ccu=50)
    s = r.stages[0]
    assert r.source == "oha" and s.ccu == 50
    assert s.requests == 48950 and s.rps == 4899.1  # oha's own requestsPerSec
    assert s.errors.http_4xx == 50 and s.errors.http_5xx == 150
    assert (s.errors.connect, s.errors.timeout, s.errors.read) == (5, 20, 25)
    assert s.latency_ms.p99 == pytest.approx(41.5) and s.latency_ms.p999 == pytest.approx(120.3)


def test_oha_null_percentiles_stay_unknown(tmp_path: Path) -> None:
    data = json.loads((DATA / "oha.json").read_text(encoding="utf-8"))
    data["latencyPercentiles"] = dict.fromkeys(data["latencyPercentiles"])
    (tmp_path / "oha.json").write_text(json.dumps(data), encoding="utf-8")
    s = import_file(str(tmp_path / "oha.json"), ccu=5).stages[0]
    assert all(getattr(s.latency_ms, p) is None for p in PCTS)


def test_k6_handle_summary_json() -> None:
    r = import_file(str(DATA / "k6_handle_summary.json"))  # was a raw KeyError: 'count'
    s = r.stages[0]
    assert r.source == "k6" and s.ccu == 2  # vus_max
    assert s.rps == 21.55  # k6's own http_reqs rate 21.5455, kept (rounded to 2 places)
    assert s.duration_s == pytest.approx(2.042, abs=1e-3)  # state.testRunDurationMs
    assert s.latency_ms.count == 44 and s.errors.read == 4 and s.requests == 40  # 4 failed (the /error500 calls)
    assert s.latency_ms.p50 == pytest.approx(0.485) and s.latency_ms.p95 == pytest.approx(1.212)
    assert s.latency_ms.p99 is None and s.latency_ms.p999 is None  # default trend stats have no p(99)
    assert any("p(99)" in n and "-" in n for n in r.notes)


def test_k6_summary_export_matches_handle_summary_of_the_same_run() -> None:
    a = import_file(str(DATA / "k6_summary_export.json")).stages[0]
    b = import_file(str(DATA / "k6_handle_summary.json")).stages[0]
    assert (a.requests, a.rps, a.latency_ms, a.errors) == (b.requests, b.rps, b.latency_ms, b.errors)


def test_k6_trend_stats_give_p99() -> None:
    s = import_file(str(DATA / "k6_handle_summary_p99.json")).stages[0]
    assert s.latency_ms.p99 == pytest.approx(8.005) and s.latency_ms.p999 == pytest.approx(8.1)


def test_k6_line_stream_agrees_with_the_summary_of_the_same_run() -> None:
    r = import_file(str(DATA / "k6_out.jsonl"))
    s = r.stages[0]
    summary = import_file(str(DATA / "k6_handle_summary.json")).stages[0]
    assert r.source == "k6" and s.ccu == 2
    assert s.latency_ms.count == 44 and s.errors.http_5xx == 4 and s.requests == 44  # status tags: four 500s
    for p in ("mean", "p50", "p90", "p95", "max"):  # k6's own interpolation, recomputed from every point
        assert getattr(s.latency_ms, p) == pytest.approx(getattr(summary.latency_ms, p), abs=1e-3), p
    p50, p99 = s.latency_ms.p50, s.latency_ms.p99
    assert p50 is not None and p99 is not None and p50 < p99 <= s.latency_ms.max
    assert s.rps == pytest.approx(44 / s.duration_s, rel=1e-3)


def test_hey_summary() -> None:
    r = import_file(str(DATA / "hey.txt"), ccu=10)
    s = r.stages[0]
    assert r.source == "hey" and s.ccu == 10
    assert s.requests == 22204 and s.rps == 11095.21  # hey's Requests/sec 11095.2063
    assert (s.latency_ms.p50, s.latency_ms.p95, s.latency_ms.p99) == (0.5, 3.5, 8.5)
    assert s.latency_ms.p999 is None and s.latency_ms.max == 40.2 and s.bytes_received == 377468


def test_hey_errors() -> None:
    s = import_file(str(DATA / "hey_500.txt")).stages[0]
    assert s.errors.http_5xx == 22519 and s.errors.total == 22519
    refused = import_file(str(DATA / "hey_refused.txt")).stages[0]  # hey printed "Average: NaN secs"
    assert refused.errors.connect == 40 and refused.requests == 0
    assert all(getattr(refused.latency_ms, p) is None for p in PCTS)


def _text(result: LoadResult) -> str:
    return load_text.render(result, Console(width=250))


@pytest.mark.parametrize("name", ["wrk_no_latency.txt", "k6_handle_summary.json", "hey.txt", "wrk_ladder.txt"])
def test_no_zero_for_a_missing_percentile_in_any_format(name: str) -> None:
    result = import_file(str(DATA / name))
    stage = result.stages[0]
    missing = [p for p in PCTS if getattr(stage.latency_ms, p) is None]
    assert missing  # every file here lacks at least p99.9
    doc = json.loads(load_json.render(result))
    for p in missing:
        assert doc["stages"][0]["latency_ms"][p] is None
    cols = ["p50", "p90", "p99", "p999"]  # the table's percentile columns, in order
    header = [c.strip() for c in next(ln for ln in load_markdown.render(result).splitlines()
                                      if ln.startswith("| stage")).strip("|").split("|")]
    row = [c.strip() for c in next(ln for ln in load_markdown.render(result).splitlines()
                                   if ln.startswith("| ccu") or ln.startswith("| -")).strip("|").split("|")]
    text_row = next(ln for ln in _text(result).splitlines() if re.match(r"[│|]\s*(ccu|-)\s", ln))
    text_cells = [c.strip() for c in re.split(r"[│|]", text_row)[1:-1]]
    for p in cols:
        i = header.index(p.replace("p999", "p99.9") + " ms")
        expected = "-" if p in missing else f"{getattr(stage.latency_ms, p):.1f}"
        assert row[i] == expected and text_cells[i] == expected, (p, row, text_cells)


def _bad(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def _k6_with(field: str, raw: str) -> str:
    text = (DATA / "k6_handle_summary.json").read_text(encoding="utf-8")
    data = json.loads(text)
    data["metrics"]["http_reqs"]["values"][field] = "@@"
    return json.dumps(data).replace('"@@"', raw)


@pytest.mark.parametrize(("name", "build", "field"), [
    ("k6.json", lambda: _k6_with("count", "NaN"), "http_reqs.count"),
    ("k6.json", lambda: _k6_with("rate", "Infinity"), "http_reqs.rate"),
    ("k6.json", lambda: _k6_with("count", "1e400"), "http_reqs.count"),
    ("k6.json", lambda: _k6_with("count", "-44"), "http_reqs.count"),
    ("k6.json", lambda: _k6_with("rate", "1e300"), "http_reqs.rate"),
    ("oha.json", lambda: (DATA / "oha.json").read_text(encoding="utf-8").replace('"p99": 0.0415', '"p99": NaN'),
     "latencyPercentiles.p99"),
    ("x_stats.csv", lambda: (DATA / "locust_stats.csv").read_text(encoding="utf-8").replace(",33205,", ",-33205,"),
     "Request Count"),
    ("x_stats.csv", lambda: (DATA / "locust_stats.csv").read_text(encoding="utf-8").replace(
        ",4145.42395225269,", ",nan,"), "Requests/s"),
    ("wrk.txt", lambda: (DATA / "wrk_latency.txt").read_text(encoding="utf-8").replace("182.35", "inf"),
     "Requests/sec"),
    ("hey.txt", lambda: (DATA / "hey.txt").read_text(encoding="utf-8").replace("0.0085 secs", "NaN secs"),
     "Latency distribution 99%"),
])
def test_non_finite_or_absurd_numbers_name_the_field(tmp_path: Path, name: str, build: object, field: str) -> None:
    path = _bad(tmp_path, name, build())  # type: ignore[operator]
    with pytest.raises(ConfigError, match=re.escape(f"field {field} = ")) as err:
        import_file(path)
    assert err.value.exit_code == 2 and "\n" not in str(err.value) and path in str(err.value)


@pytest.mark.live
def test_cli_rejects_nan_in_one_line_with_exit_2(tmp_path: Path) -> None:
    path = _bad(tmp_path, "k6.json", _k6_with("count", "NaN"))
    done = subprocess.run([sys.executable, "-m", "workeradvisor", "load", "--import", path], capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        f"workeradvisor: error: {path}: k6 field http_reqs.count = nan: not a finite number"]


def test_unknown_and_broken_files_are_config_errors(tmp_path: Path) -> None:
    junk = tmp_path / "junk.txt"
    junk.write_text("hello\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="cannot tell"):
        import_file(str(junk))
    broken = tmp_path / "oha.json"
    broken.write_text('{"latencyPercentiles": {}}', encoding="utf-8")
    with pytest.raises(ConfigError, match="not valid oha"):
        import_file(str(broken))
    other_k6 = tmp_path / "k6.json"
    other_k6.write_text('{"metrics": {"iterations": {"values": {"count": 3}}}}', encoding="utf-8")
    with pytest.raises(ConfigError, match="not valid k6.*http_reqs"):
        import_file(str(other_k6))
    with pytest.raises(ConfigError, match="cannot read"):
        import_file(str(tmp_path / "missing.json"))


def test_locust_without_failures_file_counts_failures_as_read(tmp_path: Path) -> None:
    shutil.copy(DATA / "locust_stats.csv", tmp_path / "x_stats.csv")
    s = import_file(str(tmp_path / "x_stats.csv")).stages[0]
    assert s.errors.read == 3349 and s.ccu is None
