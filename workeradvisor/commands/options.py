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
from workeradvisor.jsonsafe import finite_option
from workeradvisor.launchmodes import LaunchSpec, parse_env
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
        for flag, value in (("--cores", self.cores), ("--target-rps", self.target_rps), ("--p99-slo", self.p99_slo)):
            finite_option(flag, value)  # typer parses "nan" and "inf" as floats
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


# --- how the service is launched or reached: analyze, compare and profile --app share these ---

PythonOpt = Annotated[str | None, typer.Option(
    "--python", help="Interpreter the app and its server run under (default: $VIRTUAL_ENV, .venv/ or venv/ next "
    "to the target, a Poetry/uv environment, else workeradvisor's own).")]
ServerOpt = Annotated[str, typer.Option(
    "--server", help="uvicorn | gunicorn (gunicorn -k uvicorn.workers.UvicornWorker -w N).")]
CmdOpt = Annotated[str | None, typer.Option(
    "--cmd", help="Your own launch command with {host}, {port} and {workers}, e.g. "
    "'datasette serve --host {host} --port {port}' (run without a shell).")]
EnvOpt = Annotated[list[str] | None, typer.Option(
    "--env", help="KEY=VALUE for the app's environment, repeatable (every launch mode).")]
EnvFileOpt = Annotated[str | None, typer.Option("--env-file", help="A KEY=VALUE file for the app's environment.")]
UrlOpt = Annotated[str | None, typer.Option(
    "--url", help="Attach to a running server, e.g. http://127.0.0.1:8000 (loopback only unless --allow-remote).")]
AttachPidOpt = Annotated[int | None, typer.Option(
    "--pid", help="With --url: the server's PID (default: the process listening on the URL's port).")]
PreloadOpt = Annotated[bool, typer.Option(
    "--preload", help="With --server gunicorn: gunicorn --preload (the app is imported once in the master and "
    "shared copy-on-write with the workers; the report shows the shared memory).")]
AllowRemoteOpt = Annotated[bool, typer.Option(
    "--allow-remote", help="With --url: allow a target outside 127.0.0.0/8 / ::1 (--pid must be on this host).")]


@dataclass(frozen=True)
class LaunchFlags:
    """How the app is started or reached, as given on the command line (``launchmodes.LaunchSpec``)."""

    python: str | None = None
    server: str = "uvicorn"
    cmd: str | None = None
    env: tuple[str, ...] = ()
    env_file: str | None = None
    url: str | None = None
    pid: int | None = None
    allow_remote: bool = False
    preload: bool = False

    def spec(self, target: str | None, workers: tuple[int, ...] = (1,)) -> LaunchSpec:
        """The validated spec (exit 2 on a bad combination, before anything starts)."""
        if self.url and self.cmd:
            raise UsageError("give --url (attach) or --cmd (launch), not both")
        if self.pid is not None and not self.url:
            raise UsageError("--pid goes with --url (attach); to profile a PID use `workeradvisor profile --pid`")
        if self.url and (self.python or self.server != "uvicorn" or self.env or self.env_file):
            raise UsageError("--url attaches to a running server: --python, --server and --env do not apply")
        if target is None and not (self.cmd or self.url):
            raise UsageError("give TARGET (path/to/file.py:app), --cmd COMMAND or --url URL (see --help)")
        if self.url:
            from workeradvisor.load import build_plan  # the loopback rule of `load`, unchanged

            build_plan(self.url, allow_remote=self.allow_remote)
            if self.pid is None and not is_loopback_url(self.url):
                raise UsageError("--url on another host: give --pid (the server's PID as this host sees it)")
        spec = LaunchSpec(self.server, self.python, self.cmd, parse_env(self.env, self.env_file), self.url,
                          self.pid, self.allow_remote, preload=self.preload)
        spec.validate(workers)
        return spec


def is_loopback_url(url: str) -> bool:
    from urllib.parse import urlsplit

    from workeradvisor.load.spec import is_loopback

    return is_loopback(urlsplit(url).hostname or "")
