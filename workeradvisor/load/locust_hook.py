"""The block ``load --engine locust`` appends to the exported locustfile: a measured window like ours.

Why a hook and not ``--reset-stats``/``--run-time``: Locust workers send their samples to the
master every 3 s, so a reset on the master alone keeps up to 3 s of warm-up, and a plain quit gives
workers 0.5 s to deliver their last samples. Here the master, ``WARMUP_S`` after the load starts, tells
every worker to clear its own samples; each answers, and as messages from one worker arrive in
order, the master drops exactly that worker's earlier (warm-up) reports. At ``RUN_S`` the master
asks every worker to stop and send its last report, waits for all of them (at most
``FINAL_WAIT_S``) and for its CSV files to hold the final figures, then quits. It prints
``WORKERADVISOR measure``/``window-end``/``final N`` lines, which the parent uses to time the CPU
samples and to check the CSV holds every request.
Values are written as Python literals (``repr``), never as code.
"""

from __future__ import annotations

_HOOK = '''

# --- workeradvisor load --engine locust: the measured window (generated) ---
import csv  # noqa: E402

import gevent  # noqa: E402
from locust import events  # noqa: E402
from locust.runners import MasterRunner, WorkerRunner  # noqa: E402
from locust.stats import StatsEntry  # noqa: E402

WARMUP_S = {warmup_s!r}
RUN_S = {run_s!r}
FINAL_WAIT_S = {final_wait_s!r}
SpecUser.network_timeout = {timeout_s!r}
SpecUser.connection_timeout = {timeout_s!r}
SpecUser.default_headers = {{"Host": {host_header!r}}}  # we connect to the resolved address, not the name
SpecUser.insecure = False  # verify https certificates, as the native engine does (FastHttpUser's default: no)
_WARM = set()
_DONE = set()


def _worker_counter(runner):
    global _COUNTER  # {{counter}} stays unique across workers: each counts in its own billion
    _COUNTER = itertools.count(runner.worker_index * 1_000_000_000)


def _worker_warm(environment, msg, **_kw):
    environment.runner.stats.reset_all()  # warm-up samples never leave this worker
    environment.runner.send_message("workeradvisor_warm")


def _worker_stop(environment, msg, **_kw):
    runner = environment.runner
    runner.stop()
    runner._send_stats()  # the last samples, ahead of "done" on the same connection
    runner.send_message("workeradvisor_done")


def _master_warm(environment, msg, **_kw):
    if not _WARM:
        environment.runner.stats.reset_all()  # the window opens with the first warm worker
    _WARM.add(msg.node_id)


def _master_done(environment, msg, **_kw):
    _DONE.add(msg.node_id)


def _tell_workers(runner, message):
    for client in list(runner.clients.all):
        runner.send_message(message, client_id=client.id)


def _csv_count(prefix):
    try:
        with open(prefix + "_stats.csv", encoding="utf-8") as fh:
            rows = [r for r in csv.DictReader(fh) if r.get("Name") == "Aggregated"]
        return int(rows[0]["Request Count"]) if rows else -1
    except (OSError, ValueError, KeyError):
        return -1


def _wait(condition, seconds):
    waited = 0.0
    while waited < seconds and not condition():
        gevent.sleep(0.05)
        waited += 0.05


def _master_run(runner):
    gevent.sleep(WARMUP_S)
    print("WORKERADVISOR measure", flush=True)
    _tell_workers(runner, "workeradvisor_warm_now")
    gevent.sleep(RUN_S - WARMUP_S)
    print("WORKERADVISOR window-end", flush=True)
    _tell_workers(runner, "workeradvisor_stop")
    _wait(lambda: len(_DONE) >= len(runner.clients.all), FINAL_WAIT_S)
    # Locust rewrites its CSV files once a second: quit once they hold the final figures.
    prefix = runner.environment.parsed_options.csv_prefix
    _wait(lambda: _csv_count(prefix) == runner.stats.total.num_requests, FINAL_WAIT_S)
    print(f"WORKERADVISOR final {{runner.stats.total.num_requests}} {{len(_WARM)}} {{len(_DONE)}}", flush=True)
    runner.quit()


@events.worker_report.add_listener  # added at import: runs before Locust's own stats listener
def _drop_warmup(client_id, data, **_kw):
    if client_id not in _WARM:
        data["stats"], data["errors"] = [], {{}}
        data["stats_total"] = StatsEntry(None, "Aggregated", None).serialize()


@events.init.add_listener
def _setup(environment, **_kw):
    runner = environment.runner
    if isinstance(runner, MasterRunner):
        runner.register_message("workeradvisor_warm", _master_warm)
        runner.register_message("workeradvisor_done", _master_done)
        events.test_start.add_listener(lambda **_k: gevent.spawn(_master_run, runner))
    elif isinstance(runner, WorkerRunner):
        runner.register_message("workeradvisor_warm_now", _worker_warm)
        runner.register_message("workeradvisor_stop", _worker_stop)
        events.test_start.add_listener(lambda **_k: _worker_counter(runner))
'''


def measured_window_hook(*, warmup_s: float, run_s: float, timeout_s: float, host_header: str,
                         final_wait_s: float = 5.0) -> str:
    """The hook's source for a stage of ``run_s`` seconds whose first ``warmup_s`` are not measured;
    ``host_header`` is the Host the native engine sends (the URL's name and port)."""
    return _HOOK.format(warmup_s=float(warmup_s), run_s=float(run_s), timeout_s=float(timeout_s),
                        final_wait_s=float(final_wait_s), host_header=str(host_header))
