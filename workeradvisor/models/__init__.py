"""Frozen result dataclasses: the only thing scan/, profile/ and load/ hand to decide and report.

Each producer owns one module here; everything is re-exported so callers write
``from workeradvisor.models import Finding``.
"""

from workeradvisor.models.decision import (
    Action,
    Analysis,
    Capacity,
    CapacityRow,
    CodeSite,
    CompareRow,
    Environment,
    NoVerdict,
    PathStep,
    Recommendation,
)
from workeradvisor.models.launch import Deploy
from workeradvisor.models.load import (
    ErrorCounts,
    LatencySummary,
    LoadResult,
    ProcessSample,
    ServerMetrics,
    StageResult,
)
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
from workeradvisor.models.scan import ChainSite, Finding, Route, ScanError, ScanResult, ScanSummary
from workeradvisor.models.verdict import CeilingBound, GainTest, HostNoise, Interval, TrialSeries

__all__ = [
    "Action",
    "Analysis",
    "Capacity",
    "CapacityRow",
    "CodeSite",
    "CompareRow",
    "Deploy",
    "Environment",
    "NoVerdict",
    "CeilingBound",
    "GainTest",
    "HostNoise",
    "Interval",
    "TrialSeries",
    "PathStep",
    "Recommendation",
    "CallSite",
    "ChainSite",
    "ErrorCounts",
    "Finding",
    "IdleReport",
    "LatencySummary",
    "LoadResult",
    "LoopBreakdown",
    "PerRequest",
    "ProcessSample",
    "ProfileResult",
    "Route",
    "ScanError",
    "ScanResult",
    "ScanSummary",
    "ServerMetrics",
    "StackFrame",
    "StageResult",
    "ThreadStat",
    "WorkerProfile",
]
