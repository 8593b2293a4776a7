"""analyze with no --path: traffic from the app's OpenAPI document or from an access log (live)."""

from __future__ import annotations

import json
from pathlib import Path

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


def test_access_log_replays_its_mix(tmp_path: Path) -> None:
    log = tmp_path / "access.log"
    lines = ['127.0.0.1:5000 - "GET /orders?limit=5 HTTP/1.1" 200 OK'] * 3 + ['127.0.0.1:5000 - "GET / HTTP/1.1" 200']
    log.write_text("\n".join(lines) + "\n")
    doc = _analyze("--access-log", str(log))
    assert any("access log" in n and "2 path(s) weighted by 4 logged request(s)" in n for n in doc["notes"])
    assert {o["name"]: o["weight"] for o in doc["operations"]} == {"GET /orders?limit=5": 0.75, "GET /": 0.25}
