"""Native thread oversubscription: compute threads per worker x workers against the cores (WA530/WA531).

Why: numpy's OpenBLAS, MKL, torch and onnxruntime each start one compute thread per core by default,
in every worker process. ``W`` workers on ``C`` cores then run ``W x C`` runnable threads that queue for
``C`` cores (issue 15: the Qwen3 guide's 4 workers next to ``OMP_NUM_THREADS=8`` are 32 threads on 4
cores). The fix is one setting: ``OMP_NUM_THREADS = cores / workers``.
"""

from __future__ import annotations

import math
import posixpath
import re
from collections.abc import Callable
from dataclasses import dataclass

from workeradvisor.check.checks_config import Context
from workeradvisor.check.emit import emit
from workeradvisor.check.model import Unit
from workeradvisor.check.resolve import effective_workers
from workeradvisor.check.threads_code import CodeThreads
from workeradvisor.check.units import format_cpus
from workeradvisor.models.scan import Finding
from workeradvisor.nativethreads import NATIVE_LIBRARIES, READS, Setting, as_count, limited

_ASSIGN = re.compile(r"^[A-Za-z_]\w*=")  # `OMP_NUM_THREADS=2 uvicorn ...` on a command line
_APP_TARGET = re.compile(r"^([A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*):[A-Za-z_][\w.]*(?:\(\))?$")  # pkg.mod:app
_FIX_EXTRA = {
    "torch": "torch.set_num_threads({n})", "sentence_transformers": "torch.set_num_threads({n})",
    "onnxruntime": "SessionOptions.intra_op_num_threads = {n}", "tokenizers": "TOKENIZERS_PARALLELISM=false",
}


@dataclass(frozen=True)
class Threads:
    """Effective compute threads per worker for one library, and the setting behind the number."""

    library: str
    count: int
    source: str  # "OMP_NUM_THREADS=4" | "default: one per core"
    path: str = ""  # where the setting is written ("" for the default)
    line: int = 0


def _unit_settings(unit: Unit, dockerfiles: dict[str, Unit]) -> dict[str, Setting]:
    """The deployment's own values: the unit's environment (an adopted Dockerfile's ENV included) and
    ``VAR=value`` words before the server on its command line (Procfile, shell CMD)."""
    image = dockerfiles.get(unit.image_from)
    out: dict[str, Setting] = {}
    for name, value in unit.env.items():
        if name in unit.env_lines:
            out[name] = Setting(name, value, unit.path, unit.env_lines[name])
        elif image is not None and name in image.env_lines:
            out[name] = Setting(name, value, image.path, image.env_lines[name])
        else:
            out[name] = Setting(name, value, unit.path, unit.line)
    proc = unit.process
    for word in proc.argv if proc else ():
        if _ASSIGN.match(word):
            name, _, value = word.partition("=")
            out[name] = Setting(name, value, proc.path or unit.path, proc.line)  # type: ignore[union-attr]
    return out


def _slash(path: str) -> str:
    return "/" + path.lstrip("/")


def _common(a: str, b: str) -> int:
    return len(posixpath.commonpath([a, b])) if a.startswith("/") and b.startswith("/") else 0


def app_files(unit: Unit, files: list[str]) -> Callable[[str], bool]:
    """Which Python files belong to the app a unit serves. Only code near the deployment file counts:
    under the parent of its directory (``deploy/k8s/x.yaml`` -> ``deploy/``, a root file -> the whole
    tree). There, ``pkg.mod:app`` means everything under the ``pkg/`` holding ``pkg/mod.py`` nearest
    the deployment file, and ``mod:app`` the directory of ``mod.py``; an app module that is not found
    means no code to judge; a command naming no app module keeps the whole area."""
    area = _slash(posixpath.dirname(posixpath.dirname(unit.path)))
    area = area if area.endswith("/") else area + "/"
    proc = unit.process
    module = next((m.group(1) for w in (proc.argv if proc else ()) if (m := _APP_TARGET.match(w))), None)
    if module is None:
        return lambda path: _slash(path).startswith(area)
    parts = module.split(".")
    tails = ("/" + "/".join(parts) + ".py", "/" + "/".join(parts) + "/__init__.py")
    roots = []
    for f in (f for f in map(_slash, files) if f.startswith(area)):
        tail = next((t for t in tails if f.endswith(t)), None)
        if tail is not None:  # the directory above the module path, plus the top package (or nothing)
            base = f[: len(f) - len(tail)]
            roots.append(f"{base}/{parts[0]}/" if len(parts) > 1 else f"{base}/")
    here = _slash(unit.path)
    nearest = max((_common(r, here) for r in roots), default=-1)
    chosen = [r for r in roots if _common(r, here) == nearest]
    return lambda path: any(_slash(path).startswith(r) for r in chosen)


def effective_threads(library: str, env: dict[str, Setting], code: list[Setting], cores: int) -> Threads | None:
    """Threads one worker's ``library`` runs; None when a setting is not a number we can read."""
    for name in READS[library]:
        in_code = [s for s in code if s.name == name]
        chosen = next((s for s in in_code if s.overrides_env), None) or env.get(name) or (in_code[0] if in_code
                                                                                          else None)
        if chosen is not None:
            count = as_count(name, chosen.value, cores)
            if count is None:
                return None
            label = f"{name}({chosen.value})" if name == "torch.set_num_threads" else f"{name}={chosen.value}"
            return Threads(library, count, label, chosen.path, chosen.line)
    return Threads(library, cores, "default: one per core")


def check_native_threads(units: list[Unit], all_units: list[Unit], code: CodeThreads, ctx: Context) -> list[Finding]:
    """One finding per production unit whose workers x threads per worker exceed its cores."""
    if not code.libraries:
        return []
    dockerfiles = {u.path: u for u in all_units if u.kind == "dockerfile"}
    findings = []
    for unit in units:
        proc = unit.process
        workers = effective_workers(proc) if proc is not None and proc.server != "python" else None
        if not unit.production or workers is None:
            continue
        cpus = unit.cpu_limit if unit.cpu_limit is not None else float(ctx.host_cpus())
        cores = max(1, math.ceil(cpus - 1e-9))
        env = _unit_settings(unit, dockerfiles)
        mine = code.within(app_files(unit, code.files))
        counts = [t for lib in sorted(mine.libraries) if (t := effective_threads(lib, env, mine.settings, cores))
                  and not _computed_in_code(t, mine)]
        worst = max(counts, key=lambda t: (t.count, bool(t.path)), default=None)
        if worst is None or workers * worst.count <= cpus + 1e-9:
            continue
        findings.append(_finding(unit, worst, workers, cpus, mine, ctx))
    return findings


def _computed_in_code(t: Threads, code: CodeThreads) -> bool:
    """A default count (no literal setting anywhere) while the code sets the pool size from a value it
    computes (``str(os.cpu_count() // 2)``): unknown, not the default; no claim either way."""
    return not t.path and limited(t.library, {name for name, _ in code.mentions})


def _finding(unit: Unit, worst: Threads, workers: int, cpus: float, code: CodeThreads, ctx: Context) -> Finding:
    proc = unit.process
    assert proc is not None
    per_worker = max(1, math.floor(cpus / workers + 1e-9))
    name = worst.source.split("=")[0].split("(")[0] if worst.path else ""
    if name == "TOKENIZERS_PARALLELISM":
        setting, extra = "TOKENIZERS_PARALLELISM=false", ""
    elif name in ("torch.set_num_threads", "intra_op_num_threads"):
        setting, extra = _FIX_EXTRA["torch" if name.startswith("torch") else "onnxruntime"].format(n=per_worker), ""
    else:  # the variable in force (OPENBLAS_NUM_THREADS wins over OMP_NUM_THREADS for OpenBLAS), else OMP's
        setting = f"{name or 'OMP_NUM_THREADS'}={per_worker}"
        extra = _FIX_EXTRA.get(worst.library, "").format(n=per_worker)
    where = f"{unit.kind} {unit.name}" if unit.kind in ("compose", "kubernetes", "procfile") else unit.path
    lib_path, lib_line = code.libraries[worst.library]
    at = (worst.path, worst.line) if worst.path else (proc.workers_path or proc.path, proc.workers_line or proc.line)
    rule = ctx.rules["WA530" if worst.path else "WA531"]
    return emit(rule, *at, symbol=worst.source, workers=workers, threads=worst.count,
                library=NATIVE_LIBRARIES[worst.library], source=worst.source, total=workers * worst.count,
                cpus=format_cpus(cpus), cpu_source="CPU limit" if unit.cpu_limit is not None else "this machine",
                unit=where, imported_at=f"{lib_path}:{lib_line}", setting=setting,
                also=f" and {extra}" if extra and extra != setting else "")
