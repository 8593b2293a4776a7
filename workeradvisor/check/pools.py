"""Database connection pools in the code, multiplied by workers and replicas, against the server's limit.

Every worker process builds its own pools at import or in its lifespan, and every replica runs the
same workers: SQLAlchemy's default pool alone (5 + 10 overflow) on 4 workers x 3 replicas is 180
connections, past PostgreSQL's default ``max_connections`` of 100. Pool settings are read with
``ast`` (never imported): literals, module constants, and ``os.environ.get("X", default)`` looked up
in each deployment unit's environment (Dockerfile ENV, compose, Kubernetes).
"""

from __future__ import annotations

import ast
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from workeradvisor.check.discover import display_path, iter_files
from workeradvisor.check.emit import emit
from workeradvisor.check.model import Unit
from workeradvisor.check.resolve import effective_workers
from workeradvisor.models.fleet import POSTGRES_DEFAULT_MAX_CONNECTIONS, REDIS_DEFAULT_MAX_CLIENTS, DbPool
from workeradvisor.models.scan import Finding
from workeradvisor.rulebook import Rule
from workeradvisor.safeio import MAX_DEPLOYMENT_FILE, InputError, read_bounded

_TRIGGERS = ("create_engine", "create_async_engine", "create_pool", "ConnectionPool", "Redis", "from_url")
# (dotted callee) -> (library text, database, keyword with the cap, default cap, keyword added to it, its default)
_SQLA = ("SQLAlchemy", "sql", "pool_size", 5, "max_overflow", 10)
_KNOWN: dict[str, tuple[str, str, str, int | None, str, int]] = {
    "sqlalchemy.create_engine": _SQLA, "sqlalchemy.engine.create_engine": _SQLA, "sqlmodel.create_engine": _SQLA,
    "sqlalchemy.ext.asyncio.create_async_engine": _SQLA,
    "asyncpg.create_pool": ("asyncpg", "sql", "max_size", 10, "", 0),
    "asyncpg.pool.create_pool": ("asyncpg", "sql", "max_size", 10, "", 0),
    "psycopg_pool.ConnectionPool": ("psycopg_pool", "sql", "max_size", None, "", 0),
    "psycopg_pool.AsyncConnectionPool": ("psycopg_pool", "sql", "max_size", None, "", 0),
}
_REDIS = ("redis.Redis", "redis.StrictRedis", "redis.ConnectionPool", "redis.BlockingConnectionPool", "redis.from_url",
          "redis.asyncio.Redis", "redis.asyncio.ConnectionPool", "redis.asyncio.BlockingConnectionPool",
          "redis.asyncio.from_url", "redis.Redis.from_url", "redis.asyncio.Redis.from_url",
          "redis.ConnectionPool.from_url", "redis.asyncio.ConnectionPool.from_url")
PSYCOPG_MIN_SIZE = 4  # psycopg_pool: max_size defaults to min_size, which defaults to 4
Value = int | tuple[str, int | None] | None  # literal, (env var, default), or unknown


@dataclass(frozen=True)
class PoolCall:
    """One pool constructor call as written; values resolve per deployment unit's environment."""

    path: str
    line: int
    library: str
    database: str  # "sql" | "redis"
    cap: Value
    cap_name: str
    extra: Value
    extra_name: str

    def resolve(self, env: Mapping[str, str]) -> DbPool:
        cap, extra = _value(self.cap, env), _value(self.extra, env) if self.extra_name else 0
        if cap is None or extra is None or extra < 0:
            size, text = None, f"{self.cap_name} unresolved" if cap is None else f"{self.extra_name} unbounded"
        else:
            size = cap + extra
            text = f"{self.cap_name} {cap}" + (f" + {self.extra_name} {extra}" if self.extra_name else "")
        var = next((v[0] for v in (self.cap, self.extra) if isinstance(v, tuple) and v[0] in env), "")
        return DbPool(self.path, self.line, self.library, self.database, size, text, var)


def _value(v: Value, env: Mapping[str, str]) -> int | None:
    if isinstance(v, tuple):
        raw = env.get(v[0], "").strip()
        return int(raw) if raw.lstrip("-").isdigit() else v[1]
    return v


def _dotted(node: ast.AST) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        base = _dotted(node.value)
        return f"{base}.{node.attr}" if base else ""
    return ""


def _imports(tree: ast.Module) -> dict[str, str]:
    names: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                names[a.asname or a.name.split(".")[0]] = a.name if a.asname else a.name.split(".")[0]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            for a in node.names:
                names[a.asname or a.name] = f"{node.module}.{a.name}"
    return names


def _literal(node: ast.AST, consts: Mapping[str, Value]) -> Value:
    """An int literal, a module constant, or ``[int](os.environ.get("X", default))`` / ``os.getenv``."""
    if isinstance(node, ast.Constant) and isinstance(node.value, int) and not isinstance(node.value, bool):
        return node.value
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub) and isinstance(node.operand, ast.Constant):
        return -node.operand.value if isinstance(node.operand.value, int) else None
    if isinstance(node, ast.Name):
        return consts.get(node.id)
    if isinstance(node, ast.Call) and _dotted(node.func) == "int" and node.args:
        return _literal(node.args[0], consts)
    if isinstance(node, ast.Call) and _dotted(node.func) in ("os.environ.get", "os.getenv", "environ.get", "getenv"):
        return _env_ref(node)
    if isinstance(node, ast.Subscript) and _dotted(node.value) in ("os.environ", "environ"):
        key = node.slice
        return (key.value, None) if isinstance(key, ast.Constant) and isinstance(key.value, str) else None
    return None


def _env_ref(node: ast.Call) -> Value:
    first = node.args[0] if node.args else None
    if not (isinstance(first, ast.Constant) and isinstance(first.value, str)):
        return None
    default = node.args[1] if len(node.args) > 1 else None
    text = str(default.value).strip() if isinstance(default, ast.Constant) else ""
    return first.value, int(text) if text.isdigit() else None


def _constants(tree: ast.Module) -> dict[str, Value]:
    consts: dict[str, Value] = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            value = _literal(node.value, consts)
            if value is not None:
                consts[node.targets[0].id] = value
    return consts


def _skipped(call: ast.Call, library: str) -> bool:
    """No pool to count: SQLite files, SQLAlchemy's NullPool/StaticPool, or a Redis on a shared pool."""
    kw = {k.arg: k.value for k in call.keywords if k.arg}
    url = call.args[0] if call.args else kw.get("url")
    if isinstance(url, ast.Constant) and isinstance(url.value, str) and url.value.startswith("sqlite"):
        return True
    poolclass = _dotted(kw["poolclass"]) if "poolclass" in kw else ""
    return poolclass.endswith(("NullPool", "StaticPool", "SingletonThreadPool")) or \
        (library == "redis-py" and "connection_pool" in kw)


def pool_calls(path: str, text: str) -> list[PoolCall]:
    """Every pool constructor in one file (a file that does not parse has none: ``scan`` reports it)."""
    if not any(t in text for t in _TRIGGERS):
        return []
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError, RecursionError):
        return []
    names, consts = _imports(tree), _constants(tree)
    out = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        dotted = _dotted(node.func)
        head, _, rest = dotted.partition(".")
        full = names.get(head, head) + (f".{rest}" if rest else "")
        spec = _KNOWN.get(full) or (("redis-py", "redis", "max_connections", None, "", 0) if full in _REDIS else None)
        if spec is None or _skipped(node, spec[0]):
            continue
        library, database, cap_name, default, extra_name, extra_default = spec
        kw = {k.arg: k.value for k in node.keywords if k.arg}
        cap: Value = _literal(kw[cap_name], consts) if cap_name in kw else default
        if library == "psycopg_pool" and cap_name not in kw:
            cap = _literal(kw["min_size"], consts) if "min_size" in kw else PSYCOPG_MIN_SIZE
        if cap is None and library == "redis-py":
            continue  # redis-py's pool is unbounded unless max_connections is set: nothing to add up
        extra = (_literal(kw[extra_name], consts) if extra_name in kw else extra_default) if extra_name else 0
        call_name = full.rsplit(".", 1)[-1] if not full.endswith("from_url") else full.rsplit(".", 2)[-2] + ".from_url"
        out.append(PoolCall(path, node.lineno, f"{library} {call_name}", database, cap, cap_name, extra, extra_name))
    return out


def _code_files(root: Path) -> Iterable[Path]:
    for path in iter_files(root):
        name = path.name
        parts = path.relative_to(root).parts if path.is_relative_to(root) else path.parts
        if path.suffix != ".py" or name == "conftest.py" or name.startswith("test_"):
            continue
        if any(p in ("tests", "test", "migrations", "alembic") for p in parts[:-1]):
            continue
        yield path


def find_pools(root: Path) -> list[PoolCall]:
    """Pool constructors in the project's code (tests and migrations left out: they do not serve)."""
    calls: list[PoolCall] = []
    for path in _code_files(root):
        try:
            text = read_bounded(path, "python file", MAX_DEPLOYMENT_FILE)
        except InputError:
            continue
        calls.extend(pool_calls(display_path(path), text))
    return calls


@dataclass(frozen=True)
class PoolLimits:
    sql: int = POSTGRES_DEFAULT_MAX_CONNECTIONS  # --db-max-connections
    redis: int = REDIS_DEFAULT_MAX_CLIENTS  # --redis-max-clients
    headroom: float = 0.0  # share of the limit the pools may use: rules/decision.yaml fleet_db_connection_headroom


def default_limits(sql: int | None = None, redis: int | None = None) -> PoolLimits:
    """The servers' default limits unless given, with the headroom of rules/decision.yaml."""
    from workeradvisor.decide.tree import load_decision_tree  # the one place thresholds live

    headroom = load_decision_tree().thresholds["fleet_db_connection_headroom"]
    return PoolLimits(sql if sql is not None else POSTGRES_DEFAULT_MAX_CONNECTIONS,
                      redis if redis is not None else REDIS_DEFAULT_MAX_CLIENTS, headroom)


def hpa_max_replicas(unit: Unit) -> tuple[int, str]:
    """Replicas at full scale: an HPA's maxReplicas when one targets the workload."""
    if unit.hpa:
        top = unit.hpa.split(" ", 1)[0].split("-")[-1]
        if top.isdigit():
            return int(top), "HPA max"
    return (unit.replicas or 1), "replicas"


def _servers(units: list[Unit]) -> list[tuple[Unit | None, int, int, str]]:
    """(unit, workers, replicas, replicas source) per production server; one 1 x 1 process with none."""
    servers = [u for u in units if u.process and u.process.server not in ("python", "") and not u.consumed
               and effective_workers(u.process) is not None]
    # a uvicorn.run no deployment file references is not "production" for the other checks, but with no
    # deployment file at all it is the only statement of how many processes build the pools
    chosen = [u for u in servers if u.production] or [u for u in servers if u.kind == "python"]
    out: list[tuple[Unit | None, int, int, str]] = []
    for u in chosen:
        assert u.process is not None
        out.append((u, effective_workers(u.process) or 1, *hpa_max_replicas(u)))
    return out or [(None, 1, 1, "replicas")]


def check_pools(calls: list[PoolCall], units: list[Unit], rules: dict[str, Rule], limits: PoolLimits) -> list[Finding]:
    """WA520: per server unit and database, the sum of every pool's max x workers x replicas vs the limit."""
    findings, _ = judge_pools(calls, units, rules, limits)
    return findings


def judge_pools(calls: list[PoolCall], units: list[Unit], rules: dict[str, Rule],
                limits: PoolLimits) -> tuple[list[Finding], list[str]]:
    """(findings, one evidence note per unit and database with the arithmetic, over the limit or not)."""
    findings, notes = [], []
    for unit, workers, replicas, rep_source in _servers(units):
        env = unit.env if unit else {}
        for database, limit, flag in (("sql", limits.sql, "--db-max-connections"),
                                      ("redis", limits.redis, "--redis-max-clients")):
            pools = [c.resolve(env) for c in calls if c.database == database]
            sized = [p for p in pools if p.per_worker is not None]
            per_worker = sum(p.per_worker or 0 for p in sized)
            total = per_worker * workers * replicas
            if not sized:
                continue
            notes.append(f"{database} pools for {unit.kind + ' ' + unit.name if unit else 'one process'}: "
                         f"{per_worker} per worker x {workers} workers x {replicas} {rep_source} = {total} "
                         f"of {limit} ({flag})")
            if total <= limit:
                continue
            fit = math.floor(limit * limits.headroom / (workers * replicas))
            first = sized[0]
            at = (first.path, first.line)
            if unit and first.env_var and unit.env_lines.get(first.env_var):  # the size is set in this file
                at = (unit.path, unit.env_lines[first.env_var])
            where = f"{unit.kind} {unit.name}" if unit else "one process (no deployment file sets workers)"
            findings.append(emit(
                rules["WA520"], *at, symbol=f"{database}:{unit.name if unit else '-'}",
                pools=" + ".join(f"{p.library} ({p.detail})" for p in sized), per_worker=per_worker,
                workers=workers, replicas=replicas, replicas_source=rep_source, total=total, limit=limit,
                flag=flag, unit=where, headroom=f"{limits.headroom:g}", fit=fit,
                fix_tail="" if fit >= 1 else "; no pool size fits: put a pooler (PgBouncer) in front",
                database="PostgreSQL" if database == "sql" else "Redis"))
    return findings, notes


def code_pools(target: str | None, app_dir: str | None, env: Mapping[str, str]) -> tuple[DbPool, ...]:
    """The pools in the code ``analyze`` measures: the target file's directory (or ``--app-dir``)."""
    root = None
    if target and target.rsplit(":", 1)[0].endswith(".py") and Path(target.rsplit(":", 1)[0]).is_file():
        root = Path(target.rsplit(":", 1)[0]).parent
    elif app_dir and Path(app_dir).is_dir():
        root = Path(app_dir)
    if root is None:
        return ()
    return tuple(c.resolve(env) for c in find_pools(root))
