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

# Pure-Python work that holds the GIL (WA331 for offloaded project functions made only of these):
# builtins, stdlib modules written in Python or C that never release the GIL, and methods of
# str/bytes/list/dict/set on untyped receivers. ``get`` is left out: an untyped ``client.get(url)``.
PURE_BUILTINS = frozenset({
    "abs", "all", "any", "bin", "bool", "bytearray", "bytes", "callable", "chr", "dict", "divmod", "enumerate",
    "filter", "float", "format", "frozenset", "getattr", "hasattr", "hash", "hex", "int", "isinstance",
    "issubclass", "iter", "len", "list", "map", "max", "min", "next", "oct", "ord", "pow", "range", "repr",
    "reversed", "round", "set", "setattr", "slice", "sorted", "str", "sum", "tuple", "type", "zip"})
PURE_MODULES = ("math.", "cmath.", "statistics.", "itertools.", "operator.", "collections.", "heapq.", "bisect.",
                "string.", "fractions.", "decimal.", "functools.reduce", "copy.", "dataclasses.", "enum.",
                "difflib.", "textwrap.", "unicodedata.")
PURE_METHODS = frozenset({
    "append", "extend", "insert", "pop", "remove", "index", "count", "sort", "reverse", "copy", "clear",
    "items", "keys", "values", "setdefault", "update", "add", "discard", "union", "intersection", "difference",
    "lower", "upper", "strip", "lstrip", "rstrip", "split", "rsplit", "splitlines", "join", "replace",
    "startswith", "endswith", "find", "rfind", "format", "encode", "decode", "isdigit", "isalpha",
    "isalnum", "isspace", "title", "casefold", "partition", "rpartition", "zfill", "ljust", "rjust", "center"})

# Directories never walked (besides anything .gitignore'd and any directory holding a pyvenv.cfg).
SKIP_DIRS = frozenset(
    {".git", ".hg", ".svn", "__pycache__", ".venv", "venv", ".tox", ".nox", "site-packages", "node_modules",
     ".mypy_cache", ".pytest_cache", ".ruff_cache", ".eggs"}
)

# --- served-code model: how a function is run --------------------------------------------
# Modules whose import marks a file as part of a served web application.
FRAMEWORK_MODULES = frozenset({"fastapi", "starlette", "aiohttp", "django", "quart", "sanic", "litestar", "tornado"})
# Modules whose decorators (``@cli.command()``, ``@app.command()``) declare command-line entry points.
CLI_MODULES = frozenset({"click", "typer", "argparse", "asyncclick", "rich_click"})
CLI_DECORATOR_ATTRS = frozenset({"command", "group", "callback"})
# Decorators that make a function a background worker job (dramatiq, celery, arq, APScheduler): served
# code for loop claims, but a client built per job is not built per request (WA311).
JOB_DECORATOR_ATTRS = frozenset({"actor", "task", "shared_task", "periodic_task", "job", "scheduled_job", "cron"})
# A callable handed to a project helper whose name says it caches (``cache.save_result(lambda: ...)``)
# runs on a cache miss only: not per request (WA311).
CACHE_WORDS = ("cache", "memo")
# Decorator attributes that register a per-request function (``@app.middleware("http")``).
REQUEST_DECORATOR_ATTRS = {"middleware": "middleware", "exception_handler": "exception handler",
                           "websocket_route": "route websocket"}
# Calls that register a function to run per request: method name -> (entry kind, index of the callable arg)
REQUEST_REGISTRATIONS = {
    "add_middleware": ("middleware", 0), "add_exception_handler": ("exception handler", 1),
    "add_task": ("background task", 0), "add_api_route": ("route", 1), "add_route": ("route", 1),
    "add_websocket_route": ("route websocket", 1), "add_api_websocket_route": ("route websocket", 1),
    "add_get": ("route GET", 1), "add_post": ("route POST", 1), "add_put": ("route PUT", 1),
    "add_patch": ("route PATCH", 1), "add_delete": ("route DELETE", 1),
}
REQUEST_CALLS = {"starlette.middleware.Middleware": ("middleware", 0),
                 "fastapi.middleware.Middleware": ("middleware", 0),
                 "starlette.background.BackgroundTask": ("background task", 0),
                 "starlette.routing.WebSocketRoute": ("route websocket", 1),
                 "aiohttp.web.get": ("route GET", 1), "aiohttp.web.post": ("route POST", 1),
                 "aiohttp.web.put": ("route PUT", 1), "aiohttp.web.delete": ("route DELETE", 1),
                 "aiohttp.web.route": ("route", 2), "django.urls.path": ("route", 1),
                 "django.urls.re_path": ("route", 1)}
# Keywords of application constructors that name startup/shutdown code.
STARTUP_KEYWORDS = frozenset({"lifespan", "on_startup", "on_shutdown"})
STARTUP_NAMES = frozenset({"lifespan", "startup", "shutdown", "on_startup", "on_shutdown", "app_lifespan"})
MIDDLEWARE_BASES = frozenset({"starlette.middleware.base.BaseHTTPMiddleware", "fastapi.BaseHTTPMiddleware"})
MIDDLEWARE_METHODS = ("dispatch", "__call__")
# Path parts (relative to the scan root) of code that is never served.
UNSERVED_DIRS = frozenset({"tests", "test", "testing", "scripts", "migrations", "alembic"})
UNSERVED_FILES = frozenset({"conftest.py", "setup.py", "noxfile.py", "manage.py", "fabfile.py"})
# invoke's tasks.py at the scan root; inside a package the name is served code (celery/dramatiq jobs).
UNSERVED_ROOT_FILES = frozenset({"tasks.py"})
LOOP_CLAIM_PREFIXES = ("WA1", "WA2", "WA311", "WA331")  # rules that say "this blocks the event loop"

# Client-per-request (WA311) does not apply to in-process transports (no socket to reuse)...
IN_PROCESS_TRANSPORTS = frozenset({"httpx.ASGITransport", "httpx.WSGITransport", "httpx2.ASGITransport",
                                   "httpx2.WSGITransport", "starlette.testclient.TestClient",
                                   "fastapi.testclient.TestClient"})
IN_PROCESS_KEYWORDS = frozenset({"app"})  # httpx.AsyncClient(app=...) (older httpx)
# ...nor to clients built once and cached: functions decorated with these build once per process.
CACHE_DECORATORS = frozenset({"functools.cache", "functools.lru_cache", "functools.cached_property",
                              "cachetools.cached", "cachetools.func.ttl_cache", "cachetools.func.lru_cache",
                              "async_lru.alru_cache", "aiocache.cached", "alru_cache", "lru_cache", "cache"})
