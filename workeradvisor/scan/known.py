"""Framework semantics the scanner knows by name: what offloads, what declares a route or a
dependency, what runs at startup. These are facts about asyncio/anyio/FastAPI, not rules."""

from __future__ import annotations

# Passing a callable to these runs it in a worker thread: never a blocking finding.
THREAD_OFFLOADERS = frozenset(
    {
        "asyncio.to_thread",
        "anyio.to_thread.run_sync",
        "starlette.concurrency.run_in_threadpool",
        "fastapi.concurrency.run_in_threadpool",
        "asgiref.sync.sync_to_async",
        "trio.to_thread.run_sync",
    }
)
# ``<anything>.run_in_executor(executor, fn, *args)``: the executor decides thread or process.
EXECUTOR_METHOD = "run_in_executor"
PARTIAL = frozenset({"functools.partial"})
THREAD_POOL_TYPES = frozenset({"concurrent.futures.ThreadPoolExecutor", "concurrent.futures.thread.ThreadPoolExecutor"})
PROCESS_POOL_TYPES = frozenset(
    {
        "concurrent.futures.ProcessPoolExecutor",
        "concurrent.futures.process.ProcessPoolExecutor",
        "loky.get_reusable_executor",
    }
)

# ``@app.get("/path")``-style decorators (FastAPI, Starlette, aiohttp RouteTableDef).
ROUTE_METHODS = frozenset(
    {"get", "post", "put", "patch", "delete", "head", "options", "api_route", "route", "websocket", "view"}
)
# ``Route("/path", endpoint, methods=[...])`` tables (Starlette, and FastAPI's re-export).
ROUTE_CLASSES = frozenset({"starlette.routing.Route", "fastapi.routing.APIRoute"})
DEPENDS = frozenset(
    {"fastapi.Depends", "fastapi.Security", "fastapi.params.Depends", "fastapi.param_functions.Depends"}
)
ANNOTATED = frozenset({"typing.Annotated", "typing_extensions.Annotated"})
ROUTER_TYPES = frozenset({"fastapi.APIRouter", "fastapi.routing.APIRouter", "fastapi.FastAPI"})

# Async functions that run once per process, not per request (for client-per-request).
LIFESPAN_DECORATORS = frozenset({"contextlib.asynccontextmanager", "asynccontextmanager"})
LIFESPAN_WORDS = frozenset({"lifespan", "startup", "shutdown", "main", "setup", "init", "aenter", "create"})

# Directories never walked (besides anything .gitignore'd and any directory holding a pyvenv.cfg).
SKIP_DIRS = frozenset(
    {".git", ".hg", ".svn", "__pycache__", ".venv", "venv", ".tox", ".nox", "site-packages", "node_modules",
     ".mypy_cache", ".pytest_cache", ".ruff_cache", ".eggs"}
)
