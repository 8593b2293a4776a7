"""The decision's inputs and outputs: machine limits, the tree path taken, and the recommendation.

``decide`` produces these from the scan/profile/load results; ``report`` renders them. Every
number that chose a branch travels with the branch (``PathStep.values``) so a reviewer can check it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from workeradvisor.models.load import LoadResult
from workeradvisor.models.profile import ProfileResult
from workeradvisor.models.scan import ScanResult

ACTION_KINDS = (
    "keep",
    "scale-workers",
    "fix-blocking",
    "offload-process-pool",
    "raise-thread-limit",
    "fix-idle-cpu",
    "scale-out",
    "downstream-bound",
)


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
    kind: str  # one of ACTION_KINDS
    title: str  # one line, imperative
    evidence: tuple[tuple[str, float | int | str | None], ...] = ()  # (metric or fact name, value)
    sites: tuple[CodeSite, ...] = ()
    fix: str = ""  # text, may contain a fenced snippet
    first: bool = False  # must be done before any scaling

    def evidence_dict(self) -> dict[str, float | int | str | None]:
        return dict(self.evidence)


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


@dataclass(frozen=True)
class Recommendation:
    workers: int
    workers_range: tuple[int, int]
    actions: tuple[Action, ...]
    path: tuple[PathStep, ...]
    confidence: float  # 0..1
    verdict: str = ""  # one line
    confidence_reasons: tuple[str, ...] = ()
    capacity: tuple[tuple[str, float | int | str | None], ...] = ()  # capacity-model figures
    notes: tuple[str, ...] = ()
    metrics: tuple[tuple[str, float | None], ...] = ()  # the flat metrics the tree read
    compare: tuple[CompareRow, ...] = ()  # decision matrix when several worker counts were measured

    @property
    def confidence_label(self) -> str:
        return "high" if self.confidence >= 0.75 else "medium" if self.confidence >= 0.5 else "low"


@dataclass(frozen=True)
class Analysis:
    """Everything one decision rests on. ``load`` holds one LoadResult per worker count measured."""

    scan: ScanResult | None
    profile: ProfileResult | None
    load: tuple[LoadResult, ...]
    environment: Environment
    recommendation: Recommendation
    notes: tuple[str, ...] = field(default=())
