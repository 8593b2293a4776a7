"""How the service is launched or reached: its interpreter, its server, its own command, its environment.

Why a spec object: ``analyze``, ``compare`` and ``profile --app`` restart the server once per worker
count, so "how to start it" must be one value the pipeline can replay (``launch.serve``), and the
report must be able to print the exact command a team deploys (``deploy_command``).

Why find the project's own interpreter: installed with pipx, workeradvisor's environment has none
of the app's packages; the app, its server and the profiled process run under the project's Python.
"""

from __future__ import annotations

import contextlib
import os
import shlex
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from workeradvisor.errors import TargetError, UsageError

SERVERS = ("uvicorn", "gunicorn")
PLACEHOLDERS = ("{host}", "{port}", "{workers}")
GUNICORN_WORKER = "uvicorn.workers.UvicornWorker"


@dataclass(frozen=True)
class LaunchSpec:
    """How to start (or reach) the server. ``cmd`` wins over ``server``; ``url`` means attach."""

    server: str = "uvicorn"  # uvicorn | gunicorn
    python: str | None = None  # --python; None: discovered (``find_python``)
    cmd: str | None = None  # --cmd with {host} {port} {workers}
    env: tuple[tuple[str, str], ...] = ()  # --env / --env-file, applied to every launch mode
    url: str | None = None  # --url: attach to a running server
    pid: int | None = None  # --pid with --url
    allow_remote: bool = False  # --url outside loopback (the `load` rule)
    python_source: str = ""  # where the interpreter came from (set when resolved)
    preload: bool = False  # gunicorn --preload: import the app once in the master, fork workers (copy-on-write)

    @property
    def mode(self) -> str:
        return "attach" if self.url else "cmd" if self.cmd else self.server

    def validate(self, workers: tuple[int, ...] = (1,)) -> None:
        if self.server not in SERVERS:
            raise UsageError(f"--server {self.server!r}: expected one of {', '.join(SERVERS)}")
        if self.cmd is not None:
            if not self.cmd.strip():
                raise UsageError("--cmd is empty")
            if "{port}" not in self.cmd:
                raise UsageError("--cmd must contain {port}: workeradvisor picks a free port per launch")
            if any(w != 1 for w in workers) and "{workers}" not in self.cmd:
                raise UsageError("--workers other than 1 needs {workers} in --cmd (the command sets the count)")
            try:
                shlex.split(self.cmd)
            except ValueError as exc:
                raise UsageError(f"--cmd: {exc}") from None
        if self.preload and (self.server != "gunicorn" or self.cmd is not None or self.url is not None):
            raise UsageError("--preload goes with --server gunicorn (uvicorn's workers each import the app; "
                             "with --cmd put --preload in the command)")
        if self.python is not None and not os.access(self.python, os.X_OK):
            raise UsageError(f"--python {self.python}: not an executable file")

    def environ(self) -> dict[str, str]:
        """The child's environment: ours plus ``--env`` (and the chosen venv's bin first on PATH)."""
        env = dict(os.environ)
        env.update(self.env)
        return env


def parse_env(items: list[str] | tuple[str, ...], env_file: str | None) -> tuple[tuple[str, str], ...]:
    """``--env-file`` lines (``KEY=VALUE``, ``export``, quotes, ``#`` comments) then ``--env`` items."""
    pairs: list[tuple[str, str]] = []
    if env_file is not None:
        try:
            text = Path(env_file).read_text(encoding="utf-8")
        except OSError as exc:
            raise UsageError(f"--env-file {env_file}: {exc.strerror or exc}") from None
        for n, line in enumerate(text.splitlines(), 1):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            line = line.removeprefix("export ").strip()
            pairs.append(_pair(line, f"--env-file {env_file}:{n}"))
    pairs.extend(_pair(item, "--env") for item in items)
    return tuple(pairs)


def _pair(text: str, where: str) -> tuple[str, str]:
    key, sep, value = text.partition("=")
    key = key.strip()
    if not sep or not key.replace("_", "a").isalnum() or key[0].isdigit():
        raise UsageError(f"{where}: {text!r} is not KEY=VALUE")
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
        value = value[1:-1]
    return key, value


def _venv_python(root: Path) -> Path | None:
    for rel in ("bin/python", "Scripts/python.exe"):
        if (root / rel).is_file():
            return root / rel
    return None


def _project_dirs(start: Path) -> list[Path]:
    """``start`` and its parents up to the project root (the first with pyproject.toml, or a .git)."""
    out = []
    for d in (start, *start.parents):
        out.append(d)
        if (d / "pyproject.toml").is_file() or (d / ".git").exists():
            break
    return out


def _poetry_env(project: Path) -> Path | None:
    """Poetry's out-of-project venv: ``<cache>/virtualenvs/<name>-<hash>-py<ver>``, read as data."""
    pyproject = project / "pyproject.toml"
    if not pyproject.is_file():
        return None
    import tomllib

    with contextlib.suppress(OSError, tomllib.TOMLDecodeError):
        data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
        name = data.get("tool", {}).get("poetry", {}).get("name") or data.get("project", {}).get("name")
        if isinstance(name, str):
            cache = Path(os.environ.get("POETRY_CACHE_DIR", Path.home() / ".cache" / "pypoetry"))
            slug = name.lower().replace("_", "-").replace(".", "-")
            for venv in sorted((cache / "virtualenvs").glob(f"{slug}-*-py*")):
                if _venv_python(venv):
                    return venv
    return None


def find_python(source: Path) -> tuple[str, str]:
    """(interpreter, where it came from): $VIRTUAL_ENV, then .venv/ or venv/ (or uv's
    UV_PROJECT_ENVIRONMENT, or Poetry's cache venv) next to the target, else our own."""
    active = os.environ.get("VIRTUAL_ENV")
    if active and (py := _venv_python(Path(active))):
        return str(py), f"$VIRTUAL_ENV ({active})"
    start = source if source.is_dir() else source.parent
    dirs = _project_dirs(start.resolve())
    uv_env = os.environ.get("UV_PROJECT_ENVIRONMENT")
    for d in dirs:
        names = [uv_env] if uv_env else []
        for name in (*names, ".venv", "venv"):
            if (py := _venv_python(d / name)) is not None:
                return str(py), f"{d / name}"
        if (poetry := _poetry_env(d)) is not None and (py := _venv_python(poetry)):
            return str(py), f"Poetry environment {poetry}"
    return sys.executable, "workeradvisor's own environment"


def check_module(python: str, module: str, package: str | None = None, env: dict[str, str] | None = None) -> None:
    """Exit 3 with the exact install command when ``module`` is not importable under ``python``
    (with the app's environment: a ``--env PYTHONPATH=...`` counts)."""
    probe = f"import importlib.util,sys; sys.exit(0 if importlib.util.find_spec({module!r}) else 1)"
    try:
        done = subprocess.run([python, "-c", probe], capture_output=True, timeout=30, check=False, cwd="/",
                              env=env)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise TargetError(f"cannot run the interpreter {python}: {exc}") from None
    if done.returncode != 0:
        raise TargetError(f"{module} is not installed for {python}; install it with: "
                          f"{shlex.quote(python)} -m pip install {package or module}")


def python_supports_safe_path(python: str) -> bool:
    """``-P`` (no script directory on sys.path) exists from Python 3.11."""
    if python == sys.executable:
        return sys.version_info >= (3, 11)
    probe = "import sys; print(sys.version_info >= (3, 11))"
    with contextlib.suppress(OSError, subprocess.TimeoutExpired):
        out = subprocess.run([python, "-c", probe], capture_output=True, text=True, timeout=30, check=False)
        return out.stdout.strip() == "True"
    return False


def fill(cmd: str, host: str, port: int, workers: int) -> list[str]:
    """``--cmd`` as argv with the placeholders filled (split first: a value never re-splits)."""
    return [part.replace("{host}", host).replace("{port}", str(port)).replace("{workers}", str(workers))
            for part in shlex.split(cmd)]


def server_argv(spec: LaunchSpec, python: str, module: str, app_dir: str, port: int, workers: int) -> list[str]:
    """The argv for uvicorn / gunicorn (UvicornWorker) under ``python``, bound to loopback."""
    safe = ["-P"] if python_supports_safe_path(python) else []
    if spec.server == "gunicorn":
        return [python, *safe, "-m", "gunicorn", module, "-k", GUNICORN_WORKER, "-w", str(workers),
                "-b", f"127.0.0.1:{port}", "--chdir", app_dir, "--log-level", "warning", "--graceful-timeout", "3",
                *(["--preload"] if spec.preload else [])]
    argv = [python, *safe, "-m", "uvicorn", module, "--host", "127.0.0.1", "--port", str(port),
            "--app-dir", app_dir, "--log-level", "warning", "--no-access-log"]
    return argv + (["--workers", str(workers)] if workers > 1 else [])


def deploy_command(spec: LaunchSpec, module: str, app_dir: str, workers: int) -> str | None:
    """The command line to run in production for ``workers`` (all interfaces, port 8000)."""
    if spec.mode == "attach":
        return None
    if spec.mode == "cmd":
        assert spec.cmd is not None
        return shlex.join(fill(spec.cmd, "0.0.0.0", 8000, workers))
    rel = os.path.relpath(app_dir)
    rel = app_dir if rel.startswith("..") else rel  # far from here: the absolute path reads better
    if spec.server == "gunicorn":
        chdir = [] if rel == "." else ["--chdir", rel]
        return shlex.join(["gunicorn", module, "-k", GUNICORN_WORKER, "-w", str(workers), "-b", "0.0.0.0:8000",
                           *chdir, *(["--preload"] if spec.preload else [])])
    extra = [] if rel == "." else ["--app-dir", rel]
    return shlex.join(["uvicorn", module, "--host", "0.0.0.0", "--port", "8000",
                       "--workers", str(workers), *extra])
