"""Renderers for ``profile``: the JSON schema is stable (documented in docs/profile.md), text and
markdown carry the findings (culprit sentence, call sites, partial flag)."""

from __future__ import annotations

import json
import re
from pathlib import Path

from workeradvisor.models.profile import (
    CallSite,
    IdleReport,
    LoopBreakdown,
    PerRequest,
    ProfileResult,
    StackFrame,
    ThreadStat,
    WorkerProfile,
)
from workeradvisor.report import profile_json, profile_markdown, profile_text

DOC = Path(__file__).resolve().parent.parent / "docs" / "profile.md"


def _result() -> ProfileResult:
    loop = ThreadStat(10, "MainThread", 0.02, 1.0, True)
    push = ThreadStat(11, "metrics-push", 0.8, 40.0, False)
    worker = WorkerProfile(10, 50 << 20, 33 << 20, LoopBreakdown(2.0, 0.9, 0.8, 0.1), (loop, push), 0.2, 0.7, 0.1)
    return ProfileResult(
        target="app.py:app",
        workers=(worker,),
        per_request=PerRequest(40, 0.0007, 51.0, 0.02, 0.98, 0.0001, 1, 19.5),
        idle=IdleReport(2.0, ((10, 41.0),), (push,), ((StackFrame("push_loop", "app/metrics.py", 14),),), True),
        top_blocking=(CallSite("app.py", 28, "report", 0.7, "blocking", ("WA101",)),),
        top_cpu=(CallSite("app.py", 40, "score", 0.2, "cpu"),),
        partial=True,
        notes=("a note",),
    )


def test_json_keys_are_the_documented_stable_schema() -> None:
    doc = json.loads(profile_json.render(_result()))
    assert doc["schema"] == "workeradvisor.profile/1"
    assert doc["version"] == 1  # docs/json.md
    assert list(doc) == ["schema", "version", "target", "partial", "request_cpu_ratio", "per_request", "workers",
                         "idle", "top_blocking", "top_cpu", "attribution_error", "notes"]
    assert set(doc["per_request"]) == {"requests", "concurrency", "rps", "loop_cpu_s_per_request",
                                       "loop_runqueue_s_per_request", "mean_latency_ms", "request_cpu_ratio",
                                       "io_ratio", "ratio_blocks"}
    assert set(doc["workers"][0]) == {"pid", "rss_bytes", "uss_bytes", "pss_bytes", "loop", "attribution", "threads"}
    assert doc["idle"]["culprits"][0]["hottest_stack"] == "push_loop() (app/metrics.py:14)"  # the human form
    assert doc["idle"]["culprits"][0]["hottest_stack_frames"] == [
        {"function": "push_loop", "path": "app/metrics.py", "line": 14}]
    assert doc["top_blocking"][0]["confirmed_findings"] == ["WA101"]
    documented = DOC.read_text()
    for key in doc:
        assert f'"{key}"' in documented, f"{key} missing from docs/profile.md"


def test_text_names_the_idle_culprit_and_call_sites() -> None:
    text = profile_text.render(_result())
    assert "thread `metrics-push` 40% CPU at idle in push_loop() (app/metrics.py:14)" in text
    assert re.search(r"70\.0%\s+report\(\)\s+app\.py:28\s+\[confirms WA101\]", text)
    assert "PARTIAL" in text and "--reload" in text and "request CPU ratio 0.02" in text


def test_markdown_has_tables_and_findings() -> None:
    md = profile_markdown.render(_result())
    assert md.startswith("## workeradvisor profile: app.py:app")
    assert "| 10 | 11 | `metrics-push` | 0.800 | 40.0 |" in md
    assert "- thread `metrics-push` 40% CPU at idle" in md
