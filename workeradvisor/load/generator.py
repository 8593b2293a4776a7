"""One load-generator process: closed-loop virtual users or an open-loop constant arrival rate.

Closed loop: ``vus`` connections, each sends its next request as soon as the previous answer
arrives. Open loop (wrk2-style): request *i* is due at ``start + i / rate`` whatever the server
does; it goes out on an idle connection, a new one (up to ``vus``), or waits in a backlog, and its
latency counts from the due time, so a stalled server shows its queueing delay instead of
silently slowing the generator (no coordinated omission). Replay (open loop too): request *i* is
due at ``start + offset_i`` from a schedule of (offset, template) pairs, an access log's timestamps
scaled by ``--speed``, cycled when the stage outlasts it; latency counts from the due time as well.

Each response is also counted per operation (the template's name, ``load/opstats.py``), so a stage
says which operation was slow or failing, from the same window as its totals.

Latencies (µs) go into an HDR histogram that the parent merges across processes. Only requests
*started* inside the measurement window (after warm-up) are counted, with one exception: a request
that runs past ``timeout_s`` once the window has begun is a timeout whenever it was sent, warm-up
included, so an endpoint that never answers within a stage reads as timeouts, not as silence.
"""

from __future__ import annotations

import asyncio
import collections
import ssl
import time
from typing import Any

from hdrh.histogram import HdrHistogram

from workeradvisor.load.http1 import Connection
from workeradvisor.load.opstats import OperationCounter
from workeradvisor.load.spec import RequestPlan, RequestSource

HIST_MAX_US = 3_600_000_000  # one hour, in µs
HIST_DIGITS = 3
MAX_STAGGER_S = 0.02  # between closed-loop users' first connections, warm-up permitting
CONNECT_BACKOFF_S = 0.01  # a refused VU retries after this, so a closed port is not a busy loop


Due = tuple[float, int]  # (intended send time, template index; ANY_TEMPLATE: chosen by weight at send)
ANY_TEMPLATE = -1


def new_histogram() -> HdrHistogram:
    return HdrHistogram(1, HIST_MAX_US, HIST_DIGITS)


class Generator:
    def __init__(self, cfg: dict[str, Any], emit: Any) -> None:
        self.plan = RequestPlan.from_dict(cfg["plan"])
        # The address the parent's loopback guard resolved: never the name (no second resolution).
        self.connect_host: str = cfg.get("connect_host") or self.plan.host
        self.source = RequestSource(self.plan, cfg.get("index", 0), cfg.get("stride", 1), cfg.get("seed"))
        self.mode: str = cfg["mode"]
        self.vus: int = max(1, int(cfg["vus"]))
        self.rate: float = float(cfg.get("rate") or 0.0)
        self.warmup_s: float = float(cfg["warmup_s"])
        self.duration_s: float = float(cfg["duration_s"])
        self.timeout_s: float = float(cfg["timeout_s"])
        self.max_requests: int | None = cfg.get("max_requests")
        self.schedule: list[tuple[float, int]] = [(float(o), int(i)) for o, i in cfg.get("schedule") or ()]
        self.period_s: float = float(cfg.get("schedule_period_s") or 0.0)
        self.ops = OperationCounter([t.name for t in self.plan.requests])
        self.op_of: dict[Connection, int] = {}  # the template index of the request in flight on a connection
        self.stagger_cfg: float | None = cfg.get("connect_stagger_s")  # None: stagger_s() chooses
        self.emit = emit
        self.hist = new_histogram()
        self.errors = {"connect": 0, "timeout": 0, "http_4xx": 0, "http_5xx": 0, "read": 0}
        self.ok = 0  # completed responses (any status) started in the window
        self.sent = 0
        self.inflight = 0
        self.bytes_received = 0
        self.conns: set[Connection] = set()
        self.idle: list[Connection] = []
        self.opening = 0
        self.backlog: collections.deque[Due] = collections.deque()
        self.sending = True
        self.done = False  # run() is tearing down: no new connections
        self.interrupted = False
        self.drained = asyncio.Event()
        self.t0 = self.m0 = self.m1 = float("inf")  # set by run(); a signal before that counts nothing
        self.ssl: ssl.SSLContext | None = ssl.create_default_context() if self.plan.scheme == "https" else None

    def stagger_s(self) -> float:
        """Seconds between opening one virtual user's connection and the next (closed loop).

        Why: an asyncio server accepts every pending connection in one go, so users connecting at once
        all land on whichever worker woke first, and keep-alive keeps them there (``--workers 2`` at
        ccu 2 measured one worker). Opening them apart, within the first half of the warm-up, lets an
        idle worker take the next one. None of it is measured."""
        if self.stagger_cfg is not None:
            return max(0.0, self.stagger_cfg)
        return min(MAX_STAGGER_S, 0.5 * self.warmup_s / self.vus) if self.vus > 1 else 0.0

    # --- window bookkeeping -------------------------------------------------------------
    def in_window(self, t: float) -> bool:
        return self.m0 <= t < self.m1

    def timed_out_counts(self, intended: float, now: float) -> bool:
        """A timeout counts when the request was sent before the window closed and is declared timed out
        after it opened: a warm-up request that hangs through the window is a failure of the window."""
        return intended < self.m1 and now >= self.m0

    def stop_sending(self) -> None:
        if self.sending:
            self.sending = False
            self.m1 = min(self.m1, time.perf_counter())
            self.cpu1 = time.process_time()
        self._check_drained()

    def _check_drained(self) -> None:
        if not self.sending and self.inflight == 0 and not self.backlog:
            self.drained.set()

    # --- connection callbacks -----------------------------------------------------------
    def on_response(self, conn: Connection, status: int) -> None:
        now = time.perf_counter()
        self.inflight -= 1
        intended = conn.intended
        if self.m0 <= intended < self.m1:
            self.hist.record_value(max(1, int((now - intended) * 1e6)))
            self.ok += 1
            self.ops.response(self.op_of.get(conn, 0), status, max(1, int((now - intended) * 1e6)))
            if status >= 500:
                self.errors["http_5xx"] += 1
            elif status >= 400:
                self.errors["http_4xx"] += 1
        if conn.close_after:
            conn.close()  # on_closed replaces it
            return
        self._next(conn, now)

    def on_closed(self, conn: Connection, error: str | None) -> None:
        self.conns.discard(conn)
        if conn in self.idle:
            self.idle.remove(conn)
        if error is not None:
            self.inflight -= 1
            if self.in_window(conn.intended):
                self.errors[error] += 1
                self.ops.failure(self.op_of.get(conn, 0), error)
        self.op_of.pop(conn, None)
        if self.sending and self.mode == "ccu":
            self._open_soon(None)
        elif self.backlog and len(self.conns) + self.opening < self.vus:
            self._open_soon(self.backlog.popleft())
        self._check_drained()

    def _next(self, conn: Connection, now: float) -> None:
        if self.mode == "ccu":
            if self.sending:
                self._send(conn, (now, ANY_TEMPLATE), now)
        elif self.backlog:
            self._send(conn, self.backlog.popleft(), now)
        else:
            self.idle.append(conn)
        self._check_drained()

    def _send(self, conn: Connection, due: Due, now: float) -> None:
        self.inflight += 1
        self.sent += 1
        index = due[1] if due[1] != ANY_TEMPLATE else self.source.pick()
        self.op_of[conn] = index
        conn.send(self.source.render_index(index), due[0], now)
        if self.max_requests is not None and self.sent >= self.max_requests:
            self.stop_sending()

    def _open_soon(self, due: Due | None) -> None:
        """Start ``_open`` as a task, unless the run is over: a connection closed while ``run`` tears down
        would otherwise create a task the closing loop never starts ("coroutine ... never awaited")."""
        if not self.done:
            asyncio.ensure_future(self._open(due))

    async def _open(self, due: Due | None) -> None:
        """Open one connection; in open-loop mode it carries the request ``due``."""
        intended = due[0] if due is not None else None
        self.opening += 1
        loop = asyncio.get_running_loop()
        try:
            while True:
                try:
                    _, conn = await asyncio.wait_for(
                        loop.create_connection(lambda: Connection(self), self.connect_host, self.plan.port,
                                               ssl=self.ssl, server_hostname=self.plan.host if self.ssl else None),
                        self.timeout_s)
                    break
                except (TimeoutError, OSError):
                    now = time.perf_counter()
                    if self.in_window(intended if intended is not None else now):
                        self.errors["connect"] += 1
                    if intended is not None:  # open loop: that request failed; the next waiting one tries
                        if self.backlog and len(self.conns) + self.opening <= self.vus:
                            self._open_soon(self.backlog.popleft())
                        self._check_drained()
                        return
                    if not self.sending:
                        return
                    await asyncio.sleep(CONNECT_BACKOFF_S)
        finally:
            self.opening -= 1
        self.conns.add(conn)
        now = time.perf_counter()
        if due is not None:
            self._send(conn, due, now)
        elif self.sending:
            self._send(conn, (now, ANY_TEMPLATE), now)
        else:
            conn.close()

    def _dispatch(self, due: Due) -> None:
        if self.idle:
            self._send(self.idle.pop(), due, time.perf_counter())
        elif len(self.conns) + self.opening < self.vus:
            self._open_soon(due)
        else:
            self.backlog.append(due)

    def _budget_spent(self) -> bool:
        return self.max_requests is not None and self.sent + len(self.backlog) + self.opening >= self.max_requests

    # --- tasks --------------------------------------------------------------------------
    async def _schedule(self) -> None:
        interval = 1.0 / self.rate
        due = self.t0
        while self.sending:
            now = time.perf_counter()
            while due <= now and self.sending:
                if self._budget_spent():
                    self.stop_sending()
                    break
                self._dispatch((due, ANY_TEMPLATE))
                due += interval
            await asyncio.sleep(max(0.0, due - time.perf_counter()))

    async def _replay(self) -> None:
        """Send each scheduled request at ``t0 + offset``; from the top again after ``period_s`` (0: once)."""
        base, k = self.t0, 0
        while self.sending:
            now = time.perf_counter()
            while self.sending and base + self.schedule[k][0] <= now:
                if self._budget_spent():
                    self.stop_sending()
                    break
                self._dispatch((base + self.schedule[k][0], self.schedule[k][1]))
                k += 1
                if k == len(self.schedule):
                    if self.period_s <= 0:
                        self.stop_sending()
                        break
                    base, k = base + self.period_s, 0
            if self.sending:
                await asyncio.sleep(max(0.0, base + self.schedule[k][0] - time.perf_counter()))

    async def _sweep(self) -> None:
        """Time out requests in flight for longer than ``timeout_s`` (counted from the actual send), and
        open-loop requests still waiting for a connection ``timeout_s`` after they were due."""
        tick = min(0.05, self.timeout_s / 4)
        while True:
            await asyncio.sleep(tick)
            now = time.perf_counter()
            while self.backlog and now - self.backlog[0][0] > self.timeout_s:  # waited too long to be sent
                intended, index = self.backlog.popleft()
                if self.timed_out_counts(intended, now):
                    self.errors["timeout"] += 1
                    # rate mode picks the template at send time: draw it now, by weight, as the send would have
                    self.ops.failure(index if index != ANY_TEMPLATE else self.source.pick(), "timeout")
            for conn in list(self.conns):
                if conn.busy and now - conn.sent_at > self.timeout_s:
                    conn.busy = False
                    self.inflight -= 1
                    if self.timed_out_counts(conn.intended, now):
                        self.errors["timeout"] += 1
                        self.ops.failure(self.op_of.get(conn, 0), "timeout")
                    conn.close()
            self._check_drained()

    async def _report(self) -> None:
        while True:
            await asyncio.sleep(0.25)
            p99 = self.hist.get_value_at_percentile(99) if self.ok else 0
            self.emit({"t": "progress", "ok": self.ok, "err": sum(self.errors.values()), "p99_us": p99})

    def interrupt(self) -> None:
        """Ctrl-C, SIGTERM or the hard deadline: stop now; what is still in flight does not count."""
        self.interrupted = True
        self.stop_sending()
        self.drained.set()

    async def run(self) -> dict[str, Any]:
        loop = asyncio.get_running_loop()
        self.t0 = time.perf_counter()
        self.cpu_start = time.process_time()
        self.m0 = self.t0 + self.warmup_s
        self.m1 = self.m0 + self.duration_s
        loop.call_later(self.warmup_s, self._start_measuring)
        loop.call_later(self.warmup_s + self.duration_s, self.stop_sending)
        loop.call_later(self.warmup_s + self.duration_s + self.timeout_s + 5.0, self.interrupt)  # hard cap
        tasks = [asyncio.ensure_future(self._sweep()), asyncio.ensure_future(self._report())]
        if self.mode == "ccu":
            stagger = self.stagger_s()
            for i in range(self.vus):
                loop.call_later(i * stagger, lambda: self._open_soon(None) if self.sending else None)
        elif self.schedule:
            tasks.append(asyncio.ensure_future(self._replay()))
        else:
            tasks.append(asyncio.ensure_future(self._schedule()))
        await self.drained.wait()
        self.done = True
        for conn in list(self.conns):
            conn.close()
        for task in tasks:
            task.cancel()
        window = max(1e-9, self.m1 - self.m0) if self.m1 > self.m0 else 0.0
        cpu = max(0.0, getattr(self, "cpu1", time.process_time()) - getattr(self, "cpu0", self.cpu_start))
        return {"t": "result", "hist": self.hist.encode().decode("ascii"), "ok": self.ok, "errors": self.errors,
                "bytes": self.bytes_received, "window_s": window, "cpu_s": cpu, "sent": self.sent,
                "partial": self.interrupted, "backlog_left": len(self.backlog), "ops": self.ops.to_json()}

    def _start_measuring(self) -> None:
        self.cpu0 = time.process_time()
        self.bytes_received = 0
        self.emit({"t": "measure"})
