"""The decision's inputs and outputs: machine limits, the tree path taken, and the recommendation.

``decide`` produces these from the scan/profile/load results; ``report`` renders them. Every
number that chose a branch travels with the branch (``PathStep.values``) so a reviewer can check it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from workeradvisor.models.actions import action_kinds
from workeradvisor.models.fleet import DbPool, FleetPlan
from workeradvisor.models.launch import Deploy
from workeradvisor.models.load import LoadResult
from workeradvisor.models.profile import OperationProfile, ProfileResult
from workeradvisor.models.scan import ScanResult
from workeradvisor.models.verdict import CeilingBound, GainTest, HostNoise

# The built-in kinds at import time; code that must see kinds registered later calls action_kinds().
ACTION_KINDS = action_kinds()


@dataclass(frozen=True)
class Environment:
    """CPU and memory the server process really gets, each with where the number came from.

    ``cores`` is the effective figure: the smallest of the cgroup CPU quota, the CPU affinity
    mask and the host's CPUs (``os.cpu_count()`` and psutil ignore container limits).
    """

    cores: float
    cores_source: str  # e.g. "cgroup v2 cpu.max (150000/100000)", "affinity (2 CPUs)", "host", "--cores"
    host_cores: int
    host_memory_bytes: int
    cpu_quota_cores: float | None = None
    cpu_quota_source: str = ""
    affinity_cores: int | None = None
    memory_limit_bytes: int | None = None  # None: no limit below the host's memory
    memory_source: str = "host"

    @property
    def usable_workers(self) -> int:
        """Workers the CPU allowance can run in parallel: floor of the quota, at least 1."""
        return max(1, int(self.cores + 1e-9))

    @property
    def memory_bytes(self) -> int:
        """Memory the process may use: the limit when set, else the host's memory."""
        return self.memory_limit_bytes if self.memory_limit_bytes is not None else self.host_memory_bytes


@dataclass(frozen=True)
class CodeSite:
    """A place in the user's code an action points at, from the scan or the profile."""

    path: str
    line: int
    function: str = ""
    detail: str = ""  # e.g. "requests.get", "38% of loop samples"
    source: str = ""  # "scan" | "profile" | "scan+profile"


@dataclass(frozen=True)
class Action:
    kind: str  # a registered kind (models/actions.py)
    title: str  # one line, imperative
    evidence: tuple[tuple[str, float | int | str | None], ...] = ()  # (metric or fact name, value)
    sites: tuple[CodeSite, ...] = ()
    fix: str = ""  # text, may contain a fenced snippet
    first: bool = False  # must be done before any scaling


@dataclass(frozen=True)
class PathStep:
    """One decision node visited: the branch taken and the numbers that chose it."""

    node: str
    question: str
    condition: str  # the branch's condition text, "otherwise" for the fallback
    label: str  # what the branch means, e.g. "I/O-bound"
    values: tuple[tuple[str, float | None], ...] = ()  # metric/threshold values the condition read
    workers_range: tuple[int, int] | None = None  # range set by this branch, if any


@dataclass(frozen=True)
class CompareRow:
    """One line of the seed's decision matrix: a worker count measured side by side."""

    workers: int
    ccu: int | None  # the CCU compared at (highest common trusted stage), or None for peak RPS
    rps: float
    p99_ms: float | None  # None when the load tool did not report it
    cpu_percent: float | None  # whole server, 100 = one core
    memory_bytes: int | None  # whole server RSS
    gain: float | None  # RPS gain over the fewest workers; None for the fewest
    passes: bool | None  # gain > the tree's scale_gain_min
    memory_pss_bytes: int | None = None  # whole server PSS (its true memory; RSS counts shared pages per process)


MIB = 1 << 20


@dataclass(frozen=True)
class CapacityRow:
    """One worker count: what the utilization law predicts and what a load test measured."""

    workers: int
    predicted_max_rps: float | None
    measured_peak_rps: float | None


@dataclass(frozen=True)
class Capacity:
    """The capacity model (utilization law) the decision used; rendered as data, never re-parsed."""

    cpu_s_per_request: float | None
    cpu_source: str  # "profile (loop thread)" | "load (server CPU / RPS)" | ""
    loop_saturation_rps: float | None  # one worker: 1 / cpu_s_per_request
    workers_needed: int | None  # for --target-rps
    per_worker_rss_bytes: int | None
    memory_fit_workers: int | None  # (supervisor PSS + workers x PSS) x (1 + headroom) <= memory; RSS without PSS
    rows: tuple[CapacityRow, ...] = ()
    target_rps: float | None = None
    # True per-worker memory (the worker reading with the highest PSS): PSS = USS + its share of shared pages.
    per_worker_pss_bytes: int | None = None
    per_worker_uss_bytes: int | None = None  # its own pages: what each extra worker costs
    per_worker_shared_bytes: int | None = None  # RSS - USS: libraries, and copy-on-write pages after a fork
    supervisor_pss_bytes: int | None = None  # uvicorn's / gunicorn's master (holds the app with --preload)
    memory_basis: str = ""  # "pss" | "rss": what memory_fit_workers counted ("" when nothing was measured)

    def rounded(self) -> Capacity:
        """The figures at report precision (what the JSON holds, so a saved report reads back equal)."""
        def r(v: float | None, digits: int) -> float | None:
            return round(v, digits) if v else None
        return Capacity(
            r(self.cpu_s_per_request, 6), self.cpu_source, r(self.loop_saturation_rps, 1), self.workers_needed,
            mib_rounded(self.per_worker_rss_bytes), self.memory_fit_workers,
            tuple(CapacityRow(w.workers, round(w.predicted_max_rps, 1) if w.predicted_max_rps is not None else None,
                              round(w.measured_peak_rps, 1) if w.measured_peak_rps is not None else None)
                  for w in self.rows),
            self.target_rps,
            mib_rounded(self.per_worker_pss_bytes), mib_rounded(self.per_worker_uss_bytes),
            mib_rounded(self.per_worker_shared_bytes), mib_rounded(self.supervisor_pss_bytes), self.memory_basis,
        )


def mib_rounded(n: int | None) -> int | None:
    """Bytes at the reports' precision (0.1 MiB; the JSON holds MiB), so a saved report reads back equal."""
    return int(round(n / MIB, 1) * MIB) if n else None


@dataclass(frozen=True)
class Recommendation:
    workers: int
    workers_range: tuple[int, int]
    actions: tuple[Action, ...]
    path: tuple[PathStep, ...]
    confidence: float  # 0..1
    verdict: str = ""  # one line
    confidence_reasons: tuple[str, ...] = ()
    capacity: Capacity | None = None  # the capacity model's figures, at report precision
    notes: tuple[str, ...] = ()
    metrics: tuple[tuple[str, float | None], ...] = ()  # the flat metrics the tree read
    compare: tuple[CompareRow, ...] = ()  # decision matrix when several worker counts were measured
    thresholds: tuple[tuple[str, float], ...] = ()  # the tree's thresholds in force (after overrides)
    gain_tests: tuple[GainTest, ...] = ()  # the 30% rule on paired-trial intervals, one per comparison made
    host_noise: HostNoise | None = None  # the noisiest measurement window's host noise
    ceiling: CeilingBound | None = None  # Little's law vs the CPU bound at the primary load's peak stage

    def threshold(self, name: str) -> float | None:
        return dict(self.thresholds).get(name)

    @property
    def confidence_label(self) -> str:
        return "high" if self.confidence >= 0.75 else "medium" if self.confidence >= 0.5 else "low"


@dataclass(frozen=True)
class NoVerdict:
    """Why the engine gives no recommendation: the evidence a verdict would rest on is missing.

    ``reason`` is one plain sentence that names the fix; ``evidence_missing`` names each piece of
    evidence that could not be gathered (e.g. "a load stage with completed requests").
    """

    reason: str
    evidence_missing: tuple[str, ...] = ()


@dataclass(frozen=True)
class Analysis:
    """Everything one decision rests on. ``load`` holds one LoadResult per worker count measured.

    ``recommendation`` is None exactly when ``no_verdict`` says why: no verdict without evidence."""

    scan: ScanResult | None
    profile: ProfileResult | None
    load: tuple[LoadResult, ...]
    environment: Environment
    recommendation: Recommendation | None
    notes: tuple[str, ...] = field(default=())
    deploy: Deploy | None = None  # how it ran and the command line to deploy
    operations: tuple[OperationProfile, ...] = ()  # per operation of the mix, when it had several
    no_verdict: NoVerdict | None = None
    fleet: FleetPlan | None = None  # with --target-rps: workers per pod, replicas, HPA (decide/fleet.py)
    pools: tuple[DbPool, ...] = ()  # connection pools the code builds in every worker (check/pools.py)

