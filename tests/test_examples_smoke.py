"""Every example app starts under real uvicorn on 127.0.0.1, answers its simple routes, and is gone afterwards."""

from __future__ import annotations

import ast
import os
from pathlib import Path

import httpx
import pytest
from conftest import gone

from workeradvisor.launch import serve

pytestmark = pytest.mark.parallel  # may run beside other tests (README: the first pytest step)

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"

ROUTES = {
    "io_gateway.py": ["/", "/quote", "/aggregate"],
    "cpu_bound.py": ["/", "/score"],
    "blocking.py": ["/", "/report", "/inventory", "/fast"],
    "mixed.py": ["/", "/recommend"],
    "sync_endpoints.py": ["/", "/orders", "/profile"],
    "telemetry.py": ["/", "/items"],
    "mem0_like/app.py": ["/", "/memories/search", "/chat"],
    "orders_api.py": ["/", "/orders", "/customers/{customer_id}", "/orders/{order_id}"],
    "numpy_threads.py": ["/", "/similarity"],
}


def _get_routes(path: Path) -> set[str]:
    """GET routes declared in the source (read as data, never imported)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.AsyncFunctionDef | ast.FunctionDef):
            for deco in node.decorator_list:
                if (isinstance(deco, ast.Call) and isinstance(deco.func, ast.Attribute) and deco.func.attr == "get"
                        and deco.args and isinstance(deco.args[0], ast.Constant)):
                    found.add(deco.args[0].value)
    return found


def test_every_example_is_listed_with_all_its_get_routes() -> None:
    apps = {p.relative_to(EXAMPLES).as_posix() for p in EXAMPLES.rglob("*.py")
            if p.name not in {"__init__.py", "downstream.py"} and "deploy" not in p.parts}
    assert apps == set(ROUTES)
    for name, routes in ROUTES.items():
        assert _get_routes(EXAMPLES / name) == set(routes), name


def test_every_example_has_a_one_line_module_docstring() -> None:
    for path in EXAMPLES.rglob("*.py"):
        if "deploy" in path.relative_to(EXAMPLES).parts:
            continue  # deployment config for `check`, not an app
        doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8")))
        assert doc and doc.splitlines()[0].strip(), path


@pytest.mark.live
@pytest.mark.parametrize("name", sorted(ROUTES))
def test_example_serves_its_routes_and_stops(name: str) -> None:
    with serve(f"{EXAMPLES / name}:app") as server:
        pid = server.pid
        with httpx.Client(base_url=server.base_url, timeout=10.0) as client:
            for path in (p for p in ROUTES[name] if "{" not in p):  # ids exist only after a POST
                for _ in range(3):
                    resp = client.get(path)
                    assert resp.status_code == 200, (path, resp.text)
    assert gone(pid)


@pytest.mark.live
def test_mem0_like_adds_memories_without_telemetry_and_across_two_workers() -> None:
    env = {**os.environ, "MEM0_TELEMETRY": "False"}
    with serve(f"{EXAMPLES / 'mem0_like/app.py'}:app", workers=2, env=env) as server:
        pids = [server.pid, *server.worker_pids()]
        assert len(server.worker_pids()) == 2
        with httpx.Client(base_url=server.base_url, timeout=10.0) as client:
            for i in range(4):
                resp = client.post("/memories", json={"text": f"I like tea number {i}"})
                assert resp.status_code == 200, resp.text
                assert resp.json()["stored"] == 1
                assert client.get("/chat").status_code == 200
    assert all(gone(pid) for pid in pids)
