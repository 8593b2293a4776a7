"""Per-operation figures inside the load engine, access-log replay schedules and keep-alive stickiness,
all in-process: fake connections drive the generator's bookkeeping, no server or child process."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import sys
import time

import pytest

from workeradvisor import cli
from workeradvisor.errors import EXIT_USAGE, UsageError
from workeradvisor.load.accesslog import build_mix
from workeradvisor.load.generator import ANY_TEMPLATE, Generator
from workeradvisor.load.opstats import MAX_OPERATIONS, OTHER, OperationCounter, merge_operations
from workeradvisor.load.spec import build_plan
from workeradvisor.models.load import (
    ErrorCounts,
    LatencySummary,
    LoadResult,
    OperationStats,
    ProcessSample,
    RequestTemplate,
    ServerMetrics,
    StageResult,
)
from workeradvisor.models.readers import load_from_dict
from workeradvisor.orchestrate.traffic import check_traffic_options
from workeradvisor.report import load_json, load_markdown, load_text


class FakeConn:
    """What the generator uses of a connection: the due time, close_after, send and close."""

    def __init__(self) -> None:
        self.intended = 0.0
        self.close_after = False
        self.sent: list[bytes] = []

    def send(self, data: bytes, intended: float, now: float) -> None:
        self.intended = intended
        self.sent.append(data)

    def close(self) -> None:
        pass


def _generator(mode: str = "ccu", **extra: object) -> Generator:
    templates = (RequestTemplate("GET /a", "GET", "/a"), RequestTemplate("POST /b", "POST", "/b", body="{}"),
                 RequestTemplate("GET /a", "GET", "/a?x=1"))  # two templates, one operation
    plan = build_plan("http://127.0.0.1:9", requests=templates)
    cfg = {"plan": plan.to_dict(), "mode": mode, "vus": 2, "warmup_s": 0, "duration_s": 1, "timeout_s": 1,
           "seed": 7, **extra}
    gen = Generator(cfg, lambda _msg: None)
    gen.m0, gen.m1 = 0.0, float("inf")  # everything is inside the window
    return gen


def test_responses_and_failures_are_counted_per_operation() -> None:
    gen = _generator()
    conns = [FakeConn() for _ in range(3)]
    now = time.perf_counter()
    for index, conn in zip((0, 1, 2), conns, strict=True):
        gen._send(conn, (now, index), now)  # type: ignore[arg-type]
    assert conns[2].sent[0].startswith(b"GET /a?x=1 ")
    gen.on_response(conns[0], 200)  # type: ignore[arg-type]
    gen.on_response(conns[1], 422)  # type: ignore[arg-type]
    gen.inflight += 1
    gen.sending = False  # the stage is over: no replacement connection (there is no event loop here)
    gen.on_closed(conns[2], "read")  # type: ignore[arg-type]
    ops = {o.name: o for o in merge_operations([{"ops": gen.ops.to_json()}], 2.0)}
    assert set(ops) == {"GET /a", "POST /b"}
    a, b = ops["GET /a"], ops["POST /b"]
    assert (a.requests, a.statuses, a.read_errors, a.ok, a.attempts) == (1, ((200, 1),), 1, 1, 2)
    assert (b.requests, b.statuses, b.ok) == (1, ((422, 1),), 0) and b.error_fraction == 1.0
    assert a.rps == 0.5 and a.p50_ms is not None and a.p50_ms > 0


def test_weighted_pick_reaches_every_template() -> None:
    gen = _generator()
    conn = FakeConn()
    for _ in range(300):
        gen._send(conn, (0.0, ANY_TEMPLATE), 0.0)  # type: ignore[arg-type]
    names = {bytes(d.split(b" ")[1]) for d in conn.sent}
    assert names == {b"/a", b"/b", b"/a?x=1"}


def test_merge_sums_processes_and_folds_the_tail_into_other() -> None:
    names = [f"GET /p{i}" for i in range(MAX_OPERATIONS + 3)]
    one, two = OperationCounter(names), OperationCounter(names)
    for i in range(len(names)):
        one.response(i, 200, 1000)
    two.response(0, 503, 3000)
    two.failure(0, "timeout")
    two.failure(0, "connect")  # not per operation: ignored
    merged = {o.name: o for o in merge_operations([{"ops": one.to_json()}, {"ops": two.to_json()}], 1.0)}
    assert len(merged) == MAX_OPERATIONS + 1 and merged[OTHER].requests == 3
    first = merged["GET /p0"]
    assert first.statuses == ((200, 1), (503, 1)) and first.timeouts == 1 and first.attempts == 3
    assert first.p99_ms == pytest.approx(3.0, rel=0.02) and first.p50_ms == pytest.approx(1.0, rel=0.02)
    assert list(merged)[:2] == [OTHER, "GET /p0"]  # most requests first: 3, then 2


def test_replay_sends_each_logged_request_at_its_offset_and_repeats() -> None:
    schedule = [(0.0, 1), (0.02, 0), (0.04, 2)]
    gen = _generator("rate", schedule=schedule, schedule_period_s=0.06, max_requests=7)
    sent: list[tuple[float, int]] = []

    def dispatch(due: tuple[float, int]) -> None:
        sent.append(due)
        gen.sent += 1

    gen._dispatch = dispatch  # type: ignore[method-assign]

    async def go() -> None:
        gen.t0 = time.perf_counter()
        await asyncio.wait_for(gen._replay(), 2.0)

    asyncio.run(go())
    assert [i for _, i in sent] == [1, 0, 2, 1, 0, 2, 1]  # the log's order, twice, then the request cap
    offsets = [round(t - gen.t0, 3) for t, _ in sent]
    assert offsets == [0.0, 0.02, 0.04, 0.06, 0.08, 0.1, 0.12]  # due times from the schedule, not send times


def test_access_log_schedule_and_speed() -> None:
    lines = [f'{{"ts": {1000 + t}, "method": "GET", "path": "/{p}", "status": 200}}'
             for t, p in ((0, "a"), (2, "b"), (1, "a"), (4, "a"))]
    mix = build_mix(lines)
    names = [t.name for t in mix.requests]
    assert [names[i] for _, i in mix.schedule] == ["GET /a", "GET /a", "GET /b", "GET /a"]  # time order
    assert [t for t, _ in mix.schedule] == [0.0, 1.0, 2.0, 4.0] and mix.span_s == 4.0
    schedule, period = mix.replay(2.0)
    assert [t for t, _ in schedule] == [0.0, 0.5, 1.0, 2.0] and period == pytest.approx(4 * 4 / 3 / 2)
    with pytest.raises(Exception, match="--speed needs at least two"):
        build_mix(['127.0.0.1:1 - "GET / HTTP/1.1" 200'] * 3).replay(1.0)  # uvicorn lines carry no time


def test_traffic_options_exclude_each_other() -> None:
    with pytest.raises(UsageError, match="give one of --openapi, --access-log"):
        check_traffic_options(None, "doc.json", "a.log", None, None)
    with pytest.raises(UsageError, match="add --access-log"):
        check_traffic_options(None, None, None, 2.0, None)
    with pytest.raises(UsageError, match="drop --rate"):
        check_traffic_options(None, None, "a.log", 2.0, 100.0)
    with pytest.raises(UsageError, match="at most 1000"):
        check_traffic_options(None, None, "a.log", 0.0, None)
    check_traffic_options(None, None, "a.log", 2.0, None)


def test_speed_without_a_log_is_a_one_line_usage_error(monkeypatch: pytest.MonkeyPatch,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(sys, "argv", ["workeradvisor", "load", "http://127.0.0.1:9/", "--speed", "2"])
    with pytest.raises(SystemExit) as exc:
        cli.main()
    assert exc.value.code == EXIT_USAGE
    err = capsys.readouterr().err.strip()
    assert err.startswith("workeradvisor: error: --speed replays an access log") and "\n" not in err


def _stage(ops: tuple[OperationStats, ...], cpus: tuple[float, ...] = (), ccu: int = 2, errors: int = 3) -> StageResult:
    server = None
    if cpus:
        procs = tuple(ProcessSample(100 + i, "worker", c, 1 << 20) for i, c in enumerate(cpus))
        server = ServerMetrics((ProcessSample(99, "supervisor", 0.5, 1 << 20), *procs), sum(cpus) + 0.5, 0)
    lat = LatencySummary(10, 5.0, 4.0, 8.0, 9.0, 12.0, 15.0, 20.0)
    return StageResult("ccu", ccu, None, 2.0, 10, 5.0, lat, ErrorCounts(http_4xx=errors), 0, server, 10.0, 50.0, False,
                       requests_sent=12, operations=ops)


OPS = (OperationStats("POST /quotes", 6, ((200, 6),), 0, 0, 60.0, 90.0, 61.0, 3.0),
       OperationStats("GET /x|y", 4, ((200, 1), (422, 3)), 1, 0, 2.0, 3.0, 2.1, 2.0))


def test_operations_round_trip_and_render() -> None:
    result = LoadResult("http://127.0.0.1:8000", (_stage(OPS),))
    doc = json.loads(load_json.render(result))
    op = doc["stages"][0]["operations"][1]
    assert op == {"name": "GET /x|y", "requests": 4, "rps": 2.0, "statuses": {"200": 1, "422": 3}, "timeouts": 1,
                  "read_errors": 0, "ok": 1, "error_fraction": 0.8, "p50_ms": 2.0, "p99_ms": 3.0, "mean_ms": 2.1}
    back = load_from_dict(doc)
    assert back.stages[0].operations == OPS and back.stages[0].requests_sent == 12
    text = load_text.render(result)
    assert "Operations at ccu 2" in text and "4 (422 x3, 1 timeout)" in text and "POST /quotes" in text
    md = load_markdown.render(result)
    assert "| GET /x\\|y | 4 | 2.0 | 2.0 | 3.0 | 20% | 4 (422 x3, 1 timeout) |" in md


def test_single_operation_mix_has_no_table() -> None:
    result = LoadResult("http://127.0.0.1:8000", (_stage(OPS[:1]),))
    assert "Operations at" not in load_text.render(result) and "Operations at" not in load_markdown.render(result)


def test_one_busy_worker_of_two_is_keepalive_stickiness() -> None:
    sticky = _stage((), cpus=(96.0, 1.0))
    found = sticky.sticky_worker()
    assert found is not None and found[0].pid == 100 and found[1] == pytest.approx(96 / 97)
    note = load_text.sticky_text(sticky)
    assert note.startswith("ccu 2: worker 100 did 99% of the workers' CPU while the other 1 idled")
    assert "more connections than workers" in note
    assert _stage((), cpus=(50.0, 45.0)).sticky_worker() is None  # shared
    assert _stage((), cpus=(9.0, 0.0)).sticky_worker() is None  # too light to tell
    assert _stage((), cpus=(90.0,)).sticky_worker() is None  # one worker: nothing to share
    result = LoadResult("http://127.0.0.1:8000", (sticky,), workers=2)
    assert any("keep-alive connections stay" in line for line in load_text.summary_lines(result))


def test_closed_loop_connections_open_apart_within_the_warmup() -> None:
    gen = _generator(warmup_s=0.5)
    gen.vus = 2
    assert gen.stagger_s() == 0.02  # capped; benchmarks/keepalive: sticky 11/20 at once, 2/20 apart
    gen.vus = 100
    assert gen.stagger_s() == pytest.approx(0.0025)  # 100 users inside the first half of a 0.5 s warm-up
    assert _generator(warmup_s=0).stagger_s() == 0.0
    assert _generator(connect_stagger_s=0.0, warmup_s=1).stagger_s() == 0.0


def test_the_verdict_loses_confidence_on_a_sticky_multi_worker_stage() -> None:
    from decide_factories import env, ladder, profile, scan

    from workeradvisor.decide.engine import decide

    one = ladder(1)
    two = ladder(2)
    sticky = dataclasses.replace(two, stages=(_stage((), cpus=(95.0, 1.0), ccu=10, errors=0), *two.stages[1:]))
    plain = decide(scan(), profile(), (one, two), env(cores=2))
    rec = decide(scan(), profile(), (one, sticky), env(cores=2))
    reason = next(r for r in rec.confidence_reasons if "keep-alive stickiness" in r)
    assert reason.startswith("the 2-worker run: one worker did up to 99% of the workers' CPU at ccu 10")
    assert rec.confidence == pytest.approx(plain.confidence - 0.1)


def test_replay_note_says_when_only_the_start_of_the_log_fits() -> None:
    from workeradvisor.load.replay import replay_note

    lines = [f'{{"ts": {1000 + t}, "method": "GET", "path": "/a", "status": 200}}' for t in range(0, 100, 10)]
    mix = build_mix(lines)  # 10 requests over 90 s: the period is 100 s
    assert replay_note(mix, 10.0, 12.0).endswith("repeating every 10.0 s")
    assert replay_note(mix, 1.0, 12.0).endswith("only the log's first 12.0 s fit in the stage (--stage-seconds, "
                                                 "--speed)")
