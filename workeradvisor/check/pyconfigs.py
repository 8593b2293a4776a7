"""``gunicorn.conf.py`` settings and ``uvicorn.run(...)`` calls, read with ``ast`` and never executed."""

from __future__ import annotations

import ast

from workeradvisor.check.model import ParseProblem, Process, Unit

_CPU_CALLS = {"cpu_count", "nproc", "sched_getaffinity"}
_GUNICORN_KEYS = ("workers", "reload", "worker_class", "bind", "threads")


def _mentions_cpu_count(node: ast.AST, tainted: set[str]) -> bool:
    for sub in ast.walk(node):
        if isinstance(sub, ast.Call):
            func = sub.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if name in _CPU_CALLS:
                return True
        if isinstance(sub, ast.Name) and sub.id in tainted:
            return True
    return False


def _is_2n_plus_1(node: ast.AST) -> bool:
    """``2 * n + 1`` / ``n * 2 + 1`` in any spelling of the operands."""
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        for mul, one in ((node.left, node.right), (node.right, node.left)):
            if (isinstance(one, ast.Constant) and one.value == 1 and isinstance(mul, ast.BinOp)
                    and isinstance(mul.op, ast.Mult)):
                return any(isinstance(s, ast.Constant) and s.value == 2 for s in (mul.left, mul.right))
    return False


def env_reference(node: ast.AST) -> tuple[str, int | None]:
    """``int(os.environ.get("WEB_CONCURRENCY", 4))`` / ``os.getenv("X", "4")`` -> ("WEB_CONCURRENCY", 4)."""
    for sub in ast.walk(node):
        if isinstance(sub, ast.Call) and sub.args and isinstance(sub.args[0], ast.Constant):
            func = sub.func.attr if isinstance(sub.func, ast.Attribute) else getattr(sub.func, "id", "")
            if func in ("get", "getenv") and isinstance(sub.args[0].value, str):
                default = sub.args[1] if len(sub.args) > 1 else None
                text = str(default.value).strip() if isinstance(default, ast.Constant) else ""
                return sub.args[0].value, int(text) if text.isdigit() else None
    return "", None


def workers_value(node: ast.AST, source: str, tainted: set[str]) -> tuple[int | None, str, str]:
    """(int, raw expression, container-blind formula) for a workers expression."""
    text = ast.get_source_segment(source, node) or ""
    if isinstance(node, ast.Constant) and isinstance(node.value, int) and not isinstance(node.value, bool):
        return node.value, "", ""
    if _mentions_cpu_count(node, tainted) or _is_2n_plus_1(node):
        return None, text, text
    return env_reference(node)[1], text, ""


def _parse(path: str, text: str) -> tuple[ast.Module | None, ParseProblem | None]:
    try:
        return ast.parse(text, filename=path), None
    except SyntaxError as exc:
        return None, ParseProblem(path, exc.lineno or 0, f"Python syntax error: {exc.msg}")
    except ValueError as exc:  # e.g. null bytes
        return None, ParseProblem(path, 0, f"cannot parse Python: {exc}")


def parse_gunicorn_conf(path: str, text: str) -> tuple[list[Unit], list[ParseProblem]]:
    """Module-level settings; names assigned from ``cpu_count()`` taint later expressions."""
    tree, problem = _parse(path, text)
    if tree is None:
        return [], [problem] if problem else []
    proc = Process(server="gunicorn", line=1, text="gunicorn.conf.py settings")
    unit = Unit(path=path, kind="gunicorn-conf", name="gunicorn settings", line=1, process=proc)
    tainted: set[str] = set()
    for stmt in tree.body:
        if not isinstance(stmt, ast.Assign | ast.AnnAssign) or stmt.value is None:
            continue
        targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
        for target in targets:
            if not isinstance(target, ast.Name):
                continue
            if _mentions_cpu_count(stmt.value, tainted) and target.id not in _GUNICORN_KEYS:
                tainted.add(target.id)
            if target.id not in _GUNICORN_KEYS:
                continue
            unit.extra[target.id] = stmt.lineno
            if target.id == "workers":
                proc.workers, proc.workers_expr, proc.formula = workers_value(stmt.value, text, tainted)
                unit.extra["workers_env"] = env_reference(stmt.value)[0]
                proc.line = unit.line = stmt.lineno
            elif target.id == "reload":
                proc.reload = isinstance(stmt.value, ast.Constant) and stmt.value.value is True
                proc.reload_line = stmt.lineno
            elif target.id in ("bind", "worker_class") and isinstance(stmt.value, ast.Constant):
                setattr(proc, target.id, str(stmt.value.value))
                if target.id == "worker_class":
                    proc.class_line = stmt.lineno
    return [unit], []


def _is_uvicorn_run(func: ast.AST, run_aliases: set[str], modules: set[str]) -> bool:
    if isinstance(func, ast.Attribute) and func.attr == "run":
        return isinstance(func.value, ast.Name) and func.value.id in modules
    return isinstance(func, ast.Name) and func.id in run_aliases


def parse_uvicorn_calls(path: str, text: str) -> tuple[list[Unit], list[ParseProblem]]:
    """One unit per ``uvicorn.run(...)`` call with ``workers=``/``reload=`` read from keywords."""
    tree, problem = _parse(path, text)
    if tree is None:
        return [], [problem] if problem else []
    aliases = {a.asname or a.name for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module == "uvicorn"
               for a in n.names if a.name == "run"}
    modules = {"uvicorn"} | {a.asname for n in ast.walk(tree) if isinstance(n, ast.Import)
                             for a in n.names if a.name == "uvicorn" and a.asname}
    units = []
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and _is_uvicorn_run(node.func, aliases, modules)):
            continue
        proc = Process(server="uvicorn", line=node.lineno, text=ast.get_source_segment(text, node) or "uvicorn.run()")
        for kw in node.keywords:
            if kw.arg == "reload":
                proc.reload_line = kw.value.lineno
            if kw.arg == "workers":
                proc.workers, proc.workers_expr, proc.formula = workers_value(kw.value, text, set())
            elif kw.arg == "reload":
                proc.reload = isinstance(kw.value, ast.Constant) and kw.value.value is True
        units.append(Unit(path=path, kind="python", name="uvicorn.run", line=node.lineno, process=proc,
                          production=False))
    return units, []
