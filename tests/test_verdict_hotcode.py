"""Actions name project code only: library and interpreter frames on top are never named."""

from __future__ import annotations

from decide_factories import finding, scan

from workeradvisor.decide.hotcode import hot_code, library_of, plain_function, project_files_of
from workeradvisor.models import CallSite, Route

SITE = "/usr/lib/python3/site-packages"
STD = "/usr/lib/python3.12"


def _cpu(path: str, func: str, share: float, line: int = 1) -> CallSite:
    return CallSite(path, line, func, share, "cpu")


def test_library_of() -> None:
    assert library_of(f"{SITE}/numpy/core/fromnumeric.py") == "numpy"
    assert library_of(f"{STD}/traceback.py") == "traceback"
    assert library_of("/venv/lib64/python3.11/site-packages/uvicorn/protocols/http/h11_impl.py") == "uvicorn"
    assert library_of("<frozen importlib._bootstrap>") == "python"
    assert library_of("examples/cpu_bound.py") is None


def test_plain_function() -> None:
    assert plain_function("Scorer.score") == "score"
    assert plain_function("score_document.<locals>.<genexpr>") == "score_document"
    assert plain_function("<module>") is None
    assert plain_function("cpu_heavy_function") is None


def test_issue_500_app_names_nothing() -> None:
    """The 500-everything app's hottest frames: traceback internals, uvicorn's send, starlette."""
    sites = (_cpu(f"{STD}/traceback.py", "_get_code_position", 0.31),
             _cpu(f"{SITE}/uvicorn/protocols/http/h11_impl.py", "send", 0.22),
             _cpu(f"{SITE}/starlette/middleware/errors.py", "error_response", 0.12),
             _cpu("<frozen importlib._bootstrap>", "_find_and_load", 0.08))
    assert hot_code(sites, scan()) is None


def test_project_function_under_library_frames_is_named() -> None:
    sites = (_cpu(f"{SITE}/uvicorn/protocols/http/h11_impl.py", "send", 0.40),
             _cpu("examples/cpu_bound.py", "score_document", 0.35, 21))
    hc = hot_code(sites, scan())
    assert hc is not None and hc.kind == "project" and hc.function == "score_document"
    assert hc.phrase() == "`score_document` (examples/cpu_bound.py:21)"


def test_third_party_library_named_with_the_scan_call_site() -> None:
    sites = (_cpu(f"{SITE}/numpy/linalg/linalg.py", "svd", 0.70),)
    s = scan((finding("cpu-heavy", "app/model.py", 33, "numpy.linalg.svd", "warning", "app.model.rank"),))
    hc = hot_code(sites, s)
    assert hc is not None and hc.kind == "library" and hc.library == "numpy"
    assert hc.phrase() == "the hot code is in numpy, called from app/model.py:33"
    assert hc.function == "rank"


def test_third_party_library_without_a_project_call_names_nothing() -> None:
    sites = (_cpu(f"{SITE}/numpy/linalg/linalg.py", "svd", 0.70),)
    assert hot_code(sites, scan()) is None


def test_noise_share_is_not_a_target() -> None:
    assert hot_code((_cpu("app/main.py", "handler_helper", 0.02),), scan()) is None


def test_source_checkout_of_the_server_is_not_project_code() -> None:
    sites = (_cpu("/src/uvicorn/uvicorn/protocols/http/httptools_impl.py", "on_body", 0.5),)
    assert hot_code(sites, None) is None


def test_project_files_restrict_to_the_scanned_tree() -> None:
    s = scan()
    s = type(s)(s.files_scanned, s.findings, s.errors, s.summary,
                routes=(Route("GET", "/", "app.main.root", "app/main.py", 3, True, False),))
    files = project_files_of(s)
    assert files == frozenset({"app/main.py"})
    inside = (_cpu("app/scoring/rank.py", "rank", 0.6),)
    outside = (_cpu("/opt/vendor/fastlib/rank.py", "rank", 0.6),)
    assert hot_code(inside, s, files) is not None
    assert hot_code(outside, s, files) is None


def test_engine_gives_no_offload_when_only_library_frames_are_hot() -> None:
    """Acceptance 2: a CPU-bound verdict whose top CPU frames are all library/interpreter internals."""
    from decide_factories import env, profile

    from workeradvisor.decide.engine import decide

    top = (_cpu(f"{STD}/traceback.py", "_get_code_position", 0.41),
           _cpu(f"{SITE}/uvicorn/protocols/http/h11_impl.py", "send", 0.22),
           _cpu(f"{SITE}/starlette/middleware/errors.py", "generate_html", 0.10))
    rec = decide(scan(), profile(cpu_ratio=0.9, cpu_s=0.02, top_cpu=top), (), env(cores=2))
    text = " ".join([rec.verdict, *(a.title + a.fix + " ".join(s.function for s in a.sites) for a in rec.actions)])
    assert "offload-process-pool" not in [a.kind for a in rec.actions]
    for internal in ("_get_code_position", "send", "generate_html", "cpu_heavy_function"):
        assert f"`{internal}`" not in text and f"{internal}(" not in text
    assert any("no offload target to name" in n for n in rec.notes)


def test_engine_names_the_project_function_under_library_frames() -> None:
    from decide_factories import env, profile

    from workeradvisor.decide.engine import decide

    top = (_cpu(f"{SITE}/uvicorn/protocols/http/h11_impl.py", "send", 0.30),
           _cpu("examples/cpu_bound.py", "score_document", 0.60, 25))
    rec = decide(scan(), profile(cpu_ratio=0.9, cpu_s=0.02, top_cpu=top), (), env(cores=2))
    off = next(a for a in rec.actions if a.kind == "offload-process-pool")
    assert off.title.startswith("Offload `score_document`") and "run_in_executor(cpu_pool, score_document" in off.fix
    assert [s.function for s in off.sites] == ["score_document"]


def test_run_queue_wait_on_a_busy_host_is_not_a_blocking_site() -> None:
    """A CPU-heavy function looks off-CPU to py-spy while the loop waits for a core; schedstat's run-queue
    share says how much of that is contention. Only what is left over is blocking."""
    from dataclasses import replace

    from decide_factories import env, profile

    from workeradvisor.decide.engine import decide
    from workeradvisor.models import LoopBreakdown

    site = CallSite("examples/cpu_bound.py", 25, "score_document", 0.40, "blocking")
    base = profile(cpu_ratio=0.9, cpu_s=0.03, top_blocking=(site,), blocked=0.40)
    busy = replace(base, workers=(replace(base.workers[0], loop=LoopBreakdown(5.0, 0.95, 0.5, 0.45)),))
    kinds = [a.kind for a in decide(scan(), busy, (), env(cores=2)).actions]
    assert "fix-blocking" not in kinds
    quiet = replace(base, workers=(replace(base.workers[0], loop=LoopBreakdown(5.0, 0.95, 0.93, 0.02)),))
    assert "fix-blocking" in [a.kind for a in decide(scan(), quiet, (), env(cores=2)).actions]


def test_a_profiled_blocking_site_needs_its_interval_above_the_noise_floor() -> None:
    """10% of loop samples at one ``await client.post`` in a 2 s pass (200 ticks, ~20 independent samples)
    is one or two stalls, not a blocking call: no fix-blocking. The same share over 30 s of samples is."""
    from dataclasses import replace

    from decide_factories import env, profile

    from workeradvisor.decide.engine import decide
    from workeradvisor.decide.metrics import material_blocking_sites
    from workeradvisor.models import LoopBreakdown, ProfileResult

    site = CallSite("examples/mem0_like/app.py", 174, "add_memory", 0.10, "blocking")
    base = profile(cpu_ratio=0.2, cpu_s=0.003, top_blocking=(site,), blocked=0.04)
    quiet_loop = LoopBreakdown(5.0, 0.3, 0.28, 0.0)

    def with_ticks(ticks: int) -> ProfileResult:
        return replace(base, workers=(replace(base.workers[0], loop=quiet_loop, attribution_ticks=ticks),))

    short, long = with_ticks(200), with_ticks(3000)
    assert material_blocking_sites(short) == () and material_blocking_sites(long) == (site,)
    assert "fix-blocking" not in [a.kind for a in decide(scan(), short, (), env(cores=2)).actions]
    assert "fix-blocking" in [a.kind for a in decide(scan(), long, (), env(cores=2)).actions]
