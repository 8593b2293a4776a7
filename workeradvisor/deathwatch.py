"""Children die with workeradvisor, even when it is SIGKILLed; so do its temporary files.

Two mechanisms, because neither alone covers everything:

* **Parent-death signal.** Every child is started through ``TRAMPOLINE``: a ``python -I -S -c``
  that sets ``prctl(PR_SET_PDEATHSIG, SIGKILL)``, checks its parent is still us (closing the race
  with our death between fork and prctl) and ``exec``s the real program, which keeps the signal
  and its PID. The kernel sends it when the *thread* that forked exits, so children are spawned
  from the main thread only (``procs.spawn`` checks).
* **A watchdog for grandchildren.** The signal does not reach grandchildren (uvicorn's worker
  processes). Each child gets its own process group; a small watchdog process (own group, so a
  signal to our group leaves it alone) is told each group over a pipe. When our PID's parent link
  breaks (our death, however it came) or the pipe closes, it SIGKILLs the groups still registered
  and removes our temporary files (named ``workeradvisor-<kind>-<our pid>-*``).

Temporary files of runs that died before any cleanup could run are removed at the next start
(``clean_stale``): their owner PID is in the name.
"""

from __future__ import annotations

import contextlib
import glob
import os
import re
import subprocess
import sys
import tempfile
import threading

PR_SET_PDEATHSIG = 1
KINDS = ("uvicorn", "server", "load", "pyspy")
_NAME = re.compile(r"^workeradvisor-(?:uvicorn|load|pyspy)-(\d+)-")

TRAMPOLINE = (
    "import ctypes,os,signal,sys\n"
    "if ctypes.CDLL(None).prctl(1,signal.SIGKILL,0,0,0)!=0:sys.exit('workeradvisor: prctl(PR_SET_PDEATHSIG) failed')\n"
    "if os.getppid()!=int(sys.argv[1]):os._exit(137)\n"
    "try:os.execvp(sys.argv[2],sys.argv[2:])\n"
    "except OSError as e:sys.exit(f'workeradvisor: cannot run {sys.argv[2]}: {e.strerror}')\n"
)

WATCHDOG = (
    "import glob,os,select,signal,sys\n"
    "signal.signal(signal.SIGINT,signal.SIG_IGN);signal.signal(signal.SIGTERM,signal.SIG_IGN)\n"
    "ppid=int(sys.argv[1]);fd=0;buf=b'';groups=set()\n"
    "while os.getppid()==ppid:\n"
    " if not select.select([fd],[],[],0.1)[0]:continue\n"
    " chunk=os.read(fd,4096)\n"
    " if not chunk:break\n"
    " *lines,buf=(buf+chunk).split(b'\\n')\n"
    " for ln in lines:\n"
    "  op,_,pg=ln.partition(b' ')\n"
    "  (groups.add if op==b'+' else groups.discard)(int(pg))\n"
    "for pg in groups:\n"
    " try:os.killpg(pg,signal.SIGKILL)\n"
    " except OSError:pass\n"
    "for p in glob.glob(sys.argv[2]):\n"
    " try:os.unlink(p)\n"
    " except OSError:pass\n"
)

_lock = threading.Lock()
_watchdog: subprocess.Popen[bytes] | None = None
_watchdog_owner = 0  # the PID that started it (a forked child must not reuse our pipe)


def trampoline_argv(argv: list[str]) -> list[str]:
    """``argv`` wrapped so that the program dies with us (same PID once exec'd)."""
    return [sys.executable, "-I", "-S", "-c", TRAMPOLINE, str(os.getpid()), *argv]


def own_files_pattern(pid: int | None = None) -> str:
    return os.path.join(tempfile.gettempdir(), f"workeradvisor-*-{pid or os.getpid()}-*")


def temp_prefix(kind: str) -> str:
    """Prefix for a temporary file of ours: the kind and our PID, so a later run can tell it is stale."""
    assert kind in KINDS
    return f"workeradvisor-{kind}-{os.getpid()}-"


def _send(line: str) -> None:
    proc = _watchdog
    if proc is None or proc.stdin is None or _watchdog_owner != os.getpid():
        return
    with contextlib.suppress(OSError, ValueError):
        proc.stdin.write(line.encode() + b"\n")
        proc.stdin.flush()


def _ensure_watchdog() -> None:
    global _watchdog, _watchdog_owner
    if _watchdog is not None and _watchdog_owner == os.getpid() and _watchdog.poll() is None:
        return
    try:
        _watchdog = subprocess.Popen(
            [sys.executable, "-I", "-S", "-c", WATCHDOG, str(os.getpid()), own_files_pattern()],
            stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, process_group=0)
        _watchdog_owner = os.getpid()
    except OSError:
        _watchdog = None


def watch_group(pgid: int) -> None:
    """The watchdog kills process group ``pgid`` if we die before ``unwatch_group``."""
    with _lock:
        _ensure_watchdog()
        _send(f"+ {pgid}")


def unwatch_group(pgid: int) -> None:
    with _lock:
        _send(f"- {pgid}")


def watchdog_pid() -> int | None:
    return _watchdog.pid if _watchdog is not None and _watchdog_owner == os.getpid() else None


def remove_own_files() -> None:
    """Our temporary files (at exit; their owners have normally removed them already)."""
    for path in glob.glob(own_files_pattern()):
        with contextlib.suppress(OSError):
            os.unlink(path)


def clean_stale() -> list[str]:
    """Remove ``workeradvisor-<kind>-<pid>-*`` temp files whose owner PID is gone; returns them."""
    removed = []
    for path in glob.glob(os.path.join(tempfile.gettempdir(), "workeradvisor-*-*-*")):
        m = _NAME.match(os.path.basename(path))
        if m is None or _alive(int(m.group(1))) or not _ours(path):
            continue
        with contextlib.suppress(OSError):
            os.unlink(path)
            removed.append(path)
    return removed


def _ours(path: str) -> bool:
    """Only our user's files: another user's run (another PID namespace, a shared /tmp) is not ours."""
    try:
        return os.lstat(path).st_uid == os.getuid()
    except OSError:
        return False


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    with contextlib.suppress(OSError), open(f"/proc/{pid}/stat", "rb") as fh:
        return fh.read().rsplit(b")", 1)[-1].split()[0] != b"Z"
    return True


def set_pdeathsig_here(parent_pid: int | None = None) -> bool:
    """For forked workers (no exec): die with the parent; True when the kernel accepted it.

    ``parent_pid`` closes the race the trampoline closes too: a parent SIGKILLed between our fork
    and this prctl sends no signal (we were reparented already), so a changed parent means exit now."""
    import ctypes
    import signal

    try:
        ok = ctypes.CDLL(None).prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) == 0
    except (OSError, AttributeError):
        ok = False
    if parent_pid is not None and os.getppid() != parent_pid:
        os._exit(137)
    return ok
