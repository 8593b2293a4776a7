"""analyze with no --path: traffic from the app's OpenAPI document or from an access log (live)."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
from conftest import ROOT, run_cli

pytestmark = pytest.mark.live
SHORT = ["--ccu", "2,6", "--stage-seconds", "2", "--warmup", "0.5", "--idle-seconds", "1", "--profile-seconds", "2"]


def _analyze(*args: str) -> dict:
    proc = run_cli("analyze", f"{ROOT / 'examples' / 'orders_api.py'}:app", *SHORT, "--format", "json", *args,
                   timeout=240)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def test_openapi_mix_is_accepted_and_the_breakdown_names_the_heavy_operation() -> None:
    doc = _analyze()
    assert any("OpenAPI document /openapi.json" in n for n in doc["notes"]), doc["notes"]
    stages = [s for lr in doc["load"] for s in lr["stages"]]
    sent = sum(s["requests"] for s in stages)
    failed = sum(sum(s["errors"].values()) for s in stages)
    assert sent > 50 and failed / sent <= 0.05, (sent, doc["load"])
    ops = {o["name"]: o for o in doc["operations"]}
    assert {"POST /customers", "POST /orders", "POST /quotes", "GET /orders/{order_id}"} <= set(ops)
    heaviest = max(ops.values(), key=lambda o: o["loop_cpu_ms_per_request"] * o["weight"])
    assert heaviest["name"] == "POST /quotes"
    assert doc["heaviest_operation"].startswith("POST /quotes:")
    # Under load, per operation (the engine's own counts): every operation >= 95% 2xx, and /quotes the slowest.
    under = [s for s in stages if s["operations"]]
    assert under, stages
    for s in under:
        by_name = {o["name"]: o for o in s["operations"]}
        assert set(by_name) == set(ops)
        assert all(o["ok"] >= 0.95 * (o["requests"] + o["timeouts"] + o["read_errors"]) for o in by_name.values())
        assert max(by_name.values(), key=lambda o: o["p50_ms"])["name"] == "POST /quotes"


def test_access_log_replays_its_mix(tmp_path: Path) -> None:
    log = tmp_path / "access.log"
    lines = ['127.0.0.1:5000 - "GET /orders?limit=5 HTTP/1.1" 200 OK'] * 3 + ['127.0.0.1:5000 - "GET / HTTP/1.1" 200']
    log.write_text("\n".join(lines) + "\n")
    doc = _analyze("--access-log", str(log))
    assert any("access log" in n and "2 path(s) weighted by 4 logged request(s)" in n for n in doc["notes"])
    assert {o["name"]: o["weight"] for o in doc["operations"]} == {"GET /orders?limit=5": 0.75, "GET /": 0.25}
    for stage in (s for lr in doc["load"] for s in lr["stages"]):  # the engine sent the log's mix, 3:1
        counts = {o["name"]: o["requests"] for o in stage["operations"]}
        assert set(counts) == {"GET /orders?limit=5", "GET /"}
        share = counts["GET /orders?limit=5"] / sum(counts.values())
        assert 0.6 < share < 0.9, counts


def test_load_replays_an_access_log_and_reads_an_openapi_file(tmp_path: Path) -> None:
    """``load --access-log --speed``: the log's requests at its timestamps x speed, open loop; ``load --openapi``."""
    from workeradvisor.launch import serve

    log = tmp_path / "access.jsonl"
    rows = [(i * 0.1, "/orders?limit=5" if i % 4 else "/") for i in range(20)]  # 10 req/s logged, 3:1
    log.write_text("".join(json.dumps({"ts": 1764700000 + t, "method": "GET", "path": p, "status": 200}) + "\n"
                           for t, p in rows))
    with serve(f"{ROOT / 'examples' / 'orders_api.py'}:app") as srv:
        replay = run_cli("load", srv.base_url, "--access-log", str(log), "--speed", "3", "--stage-seconds", "1.5",
                         "--warmup", "0.3", "--format", "json", timeout=60)
        assert replay.returncode == 0, replay.stderr
        stage = json.loads(replay.stdout)["stages"][0]
        assert stage["kind"] == "rate" and 25 <= stage["rps"] <= 35, stage  # 10/s logged x 3
        counts = {o["name"]: o["requests"] for o in stage["operations"]}
        # "/" is every 4th logged request: any run of the replayed schedule holds 3:1, within one of each
        assert abs(counts["GET /orders?limit=5"] - 3 * counts["GET /"]) <= 4 and counts["GET /"] >= 8, counts
        doc = tmp_path / "openapi.json"
        doc.write_text(httpx.get(srv.base_url + "/openapi.json", timeout=5).text)
        mixed = run_cli("load", srv.base_url, "--openapi", str(doc), "--ccu", "2", "--stage-seconds", "1",
                        "--warmup", "0.3", "--format", "json", timeout=60)
    assert mixed.returncode == 0, mixed.stderr
    ops = {o["name"]: o for o in json.loads(mixed.stdout)["stages"][0]["operations"]}
    assert {"POST /customers", "POST /orders", "POST /quotes", "GET /orders/{order_id}"} <= set(ops)
    assert all(o["error_fraction"] <= 0.05 for o in ops.values()), ops
