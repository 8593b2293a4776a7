"""Parsing py-spy raw stacks and classifying event-loop samples (the traps from issue 4)."""

from __future__ import annotations

from workeradvisor.profile.attribution import attribute, hottest_stack
from workeradvisor.profile.findings import StaticFinding, confirmed, load_findings
from workeradvisor.profile.pyspy import SpyRun
from workeradvisor.profile.stacks import is_app_path, is_waiting_in_loop, parse_raw, site_frame

LIB = "/work/venv/lib/python3.11/site-packages"
STD = "/usr/lib/python3.11"
APP = "/srv/app/main.py"
LOOP = (f"Server.run ({LIB}/uvicorn/server.py:66);Runner.run ({STD}/asyncio/runners.py:118);"
        f"BaseEventLoop.run_forever ({STD}/asyncio/base_events.py:608);"
        f"BaseEventLoop._run_once ({STD}/asyncio/base_events.py:1884)")
SELECT = f"{LOOP};EpollSelector.select ({STD}/selectors.py:468)"
HANDLER = f"{LOOP};Handle._run ({STD}/asyncio/events.py:80);report ({APP}:28)"
SPAWN_CMD = ('process 4242:"python -c from multiprocessing.spawn import spawn_main; '
             'spawn_main(tracker_fd=5, pipe_handle=7) --multiprocessing-fork"')


def test_process_command_line_with_semicolons_does_not_break_frames() -> None:
    [s] = parse_raw([f"{SPAWN_CMD};thread (4242): MainThread;{HANDLER} 7\n"])
    assert s.thread_id == 4242 and s.thread_name == "MainThread" and s.count == 7
    assert s.frames[0].function == "Server.run"
    assert s.frames[-1].function == "report" and s.frames[-1].line == 28 and s.frames[-1].path == APP


def test_qualified_selector_name_on_311_is_waiting() -> None:
    [s] = parse_raw([f"thread (10): MainThread;{SELECT} 3"])
    assert s.frames[-1].function == "EpollSelector.select"  # py-spy 0.4 qualifies names
    assert is_waiting_in_loop(s.frames)


def test_uvloop_has_no_selector_frame_but_is_waiting() -> None:
    uvloop_idle = f"Server.run ({LIB}/uvicorn/server.py:66);Runner.run ({STD}/asyncio/runners.py:118)"
    [s] = parse_raw([f"thread (10): MainThread;{uvloop_idle} 40"])
    assert is_waiting_in_loop(s.frames)
    [h] = parse_raw([f"thread (10): MainThread;{HANDLER} 1"])
    assert not is_waiting_in_loop(h.frames)


def test_pthread_handle_threads_and_unnamed_threads_parse() -> None:
    [s] = parse_raw([f"thread (0x7F12AB): {HANDLER} 2"])
    assert s.thread_id is None and s.count == 2
    assert parse_raw(["garbage without count", ""]) == []


def test_site_is_innermost_application_frame() -> None:
    stack = f"thread (1): MainThread;{HANDLER};get ({LIB}/requests/api.py:73);send ({STD}/socket.py:700) 1"
    [s] = parse_raw([stack])
    site = site_frame(s.frames)
    assert site is not None and (site.path, site.line) == (APP, 28)
    assert not is_app_path(f"{LIB}/requests/api.py") and not is_app_path("<frozen runpy>") and is_app_path(APP)


def _run(lines: list[str], idle: bool) -> SpyRun:
    return SpyRun(10, idle, 2.0, 50, tuple(parse_raw(lines)), False)


def test_blocked_site_is_seen_with_idle_but_not_on_cpu() -> None:
    # 100 ticks: 60 in the handler (off-CPU: absent from the on-CPU pass), 30 in select, 10 on-CPU elsewhere.
    cpu_site = f"{LOOP};Handle._run ({STD}/asyncio/events.py:80);score ({APP}:40)"
    every = _run([f"thread (10): MainThread;{HANDLER} 60", f"thread (10): MainThread;{SELECT} 30",
                  f"thread (10): MainThread;{cpu_site} 10"], idle=True)
    on_cpu = _run([f"thread (10): MainThread;{cpu_site} 10", f"thread (10): MainThread;{HANDLER} 1"], idle=False)
    a = attribute(every, on_cpu)
    assert a.loop_tid == 10 and a.ticks == 100
    assert abs(a.blocked_share - 0.59) < 0.02 and abs(a.selector_share - 0.30) < 0.02 and abs(a.cpu_share - 0.11) < 0.02
    assert [(s.frame.line, round(s.share, 2)) for s in a.blocking_sites] == [(28, 0.59)]
    assert [s.frame.line for s in a.cpu_sites] == [40, 28]


def test_cpu_site_is_not_reported_as_blocking() -> None:
    cpu_site = f"{LOOP};Handle._run ({STD}/asyncio/events.py:80);score ({APP}:40)"
    every = _run([f"thread (10): MainThread;{cpu_site} 90", f"thread (10): MainThread;{SELECT} 10"], idle=True)
    on_cpu = _run([f"thread (10): MainThread;{cpu_site} 88"], idle=False)
    a = attribute(every, on_cpu)
    assert a.blocking_sites == () and a.cpu_share > 0.85


def test_hottest_stack_names_inner_and_outer_app_frames() -> None:
    thread = (f"thread (77): metrics-push;Thread.run ({STD}/threading.py:982);push_loop (/srv/app/metrics.py:14);"
              f"encode (/srv/app/metrics.py:5);dumps ({STD}/json/__init__.py:231)")
    text = hottest_stack(_run([f"{thread} 9"], idle=False), 77)
    assert text.startswith("encode() (") and "metrics.py:5" in text and "push_loop() (" in text


def test_static_findings_are_confirmed_by_path_suffix_and_line(tmp_path) -> None:
    scan = tmp_path / "scan.json"
    scan.write_text('{"version": 1, "findings": [{"rule": "WA101", "path": "app/main.py", "line": 28}]}')
    findings = load_findings(str(scan))
    assert findings == [StaticFinding("WA101", "app/main.py", 28)]
    assert confirmed("/srv/app/main.py", 28, findings) == ("WA101",)
    assert confirmed("/srv/app/main.py", 29, findings) == ()
    assert confirmed("/srv/other/xapp/main.py", 28, findings) == ()


def test_finding_reported_at_the_caller_is_confirmed_at_the_chain_end() -> None:
    findings = load_findings({"findings": [{"rule": "WA111", "path": "app/main.py", "line": 34,
                                            "chain_sites": [{"symbol": "inventory", "path": "app/main.py", "line": 34},
                                                            {"symbol": "db.fetch", "path": "app/db.py", "line": 12},
                                                            {"symbol": "time.sleep", "path": "app/db.py", "line": 17}]
                                            }]})
    assert findings[0].chain_sites[-1] == ("app/db.py", 17)
    assert confirmed("/srv/app/db.py", 17, findings) == ("WA111",)
    assert confirmed("/srv/app/main.py", 34, findings) == ("WA111",)
    assert confirmed("/srv/app/db.py", 34, findings) == ()
