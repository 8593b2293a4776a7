"""The decision flags ``analyze``, ``compare`` and ``advise`` share: declared once, validated once.

Each flag is one ``Annotated`` alias used by all three commands' signatures, and ``DecisionFlags``
turns them into what the decision needs (options, tree, environment). A flag added here reaches
every command; none can drift (compare once hard-coded ``cores=None, memory=None``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import typer

from workeradvisor.decide.metrics import DecideOptions
from workeradvisor.decide.tree import DecisionTree, load_decision_tree, parse_threshold_args
from workeradvisor.environment import detect_environment, parse_memory
from workeradvisor.errors import UsageError
from workeradvisor.models.decision import Environment
from workeradvisor.report.formats import ANALYSIS_FORMATS
from workeradvisor.report.output import choose, validate_output

TargetRpsOpt = Annotated[float | None, typer.Option("--target-rps", help="Traffic to plan for (requests/s).")]
TargetCcuOpt = Annotated[int | None, typer.Option(
    "--target-ccu", help="Concurrent users to plan for (thread pool sizing).")]
P99SloOpt = Annotated[float, typer.Option("--p99-slo", help="p99 latency target in ms (seed: 1 s).")]
ThresholdOpt = Annotated[list[str] | None, typer.Option(
    "--threshold", help="Override a decision threshold, NAME=NUMBER (see rules/decision.yaml). Repeatable.")]
DecisionOpt = Annotated[str | None, typer.Option(
    "--decision", help="A decision YAML: thresholds to overlay, or a whole tree.")]
DownstreamOpt = Annotated[str | None, typer.Option(
    "--downstream", help="Name of the service the handlers await, for the downstream-bound diagnosis.")]
CoresOpt = Annotated[float | None, typer.Option(
    "--cores", help="Plan for this many cores (default: detected from the cgroup quota / affinity; a live "
    "ladder is still capped by this machine's cores).")]
MemoryOpt = Annotated[str | None, typer.Option(
    "--memory", help="Memory limit to plan for, e.g. 2G (default: detected).")]
NoRefactorOpt = Annotated[bool, typer.Option(
    "--no-refactor", help="The blocking code cannot be changed (seed: then 2-4 workers).")]
FormatOpt = Annotated[str, typer.Option("--format", help="text | json | markdown")]
OutputOpt = Annotated[str | None, typer.Option("--output", help="Write the report to this file.")]


@dataclass(frozen=True)
class DecisionFlags:
    """The shared flags, as given on the command line."""

    target_rps: float | None = None
    target_ccu: int | None = None
    p99_slo: float = 1000.0
    threshold: tuple[str, ...] = ()
    decision: str | None = None
    downstream: str | None = None
    cores: float | None = None
    memory: str | None = None
    no_refactor: bool = False
    fmt: str = "text"
    output: str | None = None

    def validate(self) -> None:
        """Every check that needs no measurement, before any work starts (exit 2 on the first problem)."""
        choose(ANALYSIS_FORMATS, self.fmt)
        validate_output(self.output)
        if self.target_rps is not None and self.target_rps <= 0:
            raise UsageError("--target-rps must be > 0")
        if self.target_ccu is not None and self.target_ccu < 1:
            raise UsageError("--target-ccu must be >= 1")
        if self.cores is not None and self.cores <= 0:
            raise UsageError("--cores must be > 0")
        self.memory_bytes()

    def memory_bytes(self) -> int | None:
        if self.memory is None:
            return None
        try:
            return parse_memory(self.memory)
        except ValueError:
            raise UsageError(f"--memory {self.memory!r}: expected a size like 2G, 512Mi or bytes") from None

    def options(self) -> DecideOptions:
        return DecideOptions(target_rps=self.target_rps, target_ccu=self.target_ccu, p99_slo_ms=self.p99_slo,
                             refactor_possible=not self.no_refactor)

    def tree(self) -> DecisionTree:
        return load_decision_tree(Path(self.decision) if self.decision else None,
                                  parse_threshold_args(list(self.threshold)))

    def environment(self, machine: Environment | None = None) -> Environment:
        """What the decision plans for: ``--cores``/``--memory`` when given, else ``machine`` (or detected)."""
        if self.cores is None and self.memory is None:
            return machine or detect_environment()
        return detect_environment(cores=self.cores, memory=self.memory_bytes())
