"""Live profiler: where each worker's event-loop time goes, per request and at idle.

Public API (used by the ``profile`` command and by ``analyze``)::

    result = profile_server(pid, duration_s=3, plan=build_plan(url, paths=["/score"]))
    result = profile_idle(pid, duration_s=3)
"""

from workeradvisor.profile.api import profile_idle, profile_server
from workeradvisor.profile.pyspy import find_py_spy

__all__ = ["find_py_spy", "profile_idle", "profile_server"]
