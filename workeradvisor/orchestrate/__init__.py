"""The main job, end to end: runs scan, profile, load and decide against a live app (``analyze``, ``compare``).

A layer above the producers and ``decide``; it never renders (``report``) nor parses flags (``commands``).
"""

from workeradvisor.orchestrate.events import Events, QuietEvents
from workeradvisor.orchestrate.pipeline import PipelineOutcome, PipelineSettings, run_pipeline, worker_counts

__all__ = ["Events", "PipelineOutcome", "PipelineSettings", "QuietEvents", "run_pipeline", "worker_counts"]
