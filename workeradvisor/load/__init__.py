"""The load tester: closed-loop CCU ladders and open-loop constant-rate runs, plus importers.

Public API (used by ``profile`` and ``analyze`` too)::

    plan = build_plan("http://127.0.0.1:8000", paths=("/",))
    stage = run_stage(plan, ccu=50, duration_s=5, warmup_s=1)
    result = run_ladder(plan, [30, 60, 100], stage_seconds=5, warmup_s=1)

Names are imported lazily (PEP 562) so a generator process, which imports this package on its
way to ``workeradvisor.load.child``, does not pay for the parent-side modules at start-up.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from workeradvisor.load.ladder import run_ladder
    from workeradvisor.load.runner import LoadInterrupted, StageProgress, default_processes, run_stage
    from workeradvisor.load.spec import RequestPlan, RequestTemplate, build_plan, is_loopback

_WHERE = {
    "run_ladder": "workeradvisor.load.ladder",
    "LoadInterrupted": "workeradvisor.load.runner",
    "StageProgress": "workeradvisor.load.runner",
    "default_processes": "workeradvisor.load.runner",
    "run_stage": "workeradvisor.load.runner",
    "RequestPlan": "workeradvisor.load.spec",
    "RequestTemplate": "workeradvisor.load.spec",
    "build_plan": "workeradvisor.load.spec",
    "is_loopback": "workeradvisor.load.spec",
}

__all__ = [
    "LoadInterrupted",
    "RequestPlan",
    "RequestTemplate",
    "StageProgress",
    "build_plan",
    "default_processes",
    "is_loopback",
    "run_ladder",
    "run_stage",
]


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        return getattr(importlib.import_module(_WHERE[name]), name)
    raise AttributeError(f"module 'workeradvisor.load' has no attribute {name!r}")
