"""Request plans: target safety, spec parsing, templating, encoding, locustfile export."""

from __future__ import annotations

import ast
import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

from workeradvisor.errors import ConfigError, UsageError
from workeradvisor.load import build_plan
from workeradvisor.load.locustfile import render_locustfile
from workeradvisor.load.spec import RequestSource, is_loopback


def test_only_loopback_without_allow_remote() -> None:
    assert is_loopback("127.0.0.1") and is_loopback("localhost") and is_loopback("::1")
    assert not is_loopback("10.1.2.3")
    with pytest.raises(UsageError, match="allow-remote"):
        build_plan("http://10.1.2.3:8000/")
    plan = build_plan("http://10.1.2.3:8000/", allow_remote=True)
    assert plan.host == "10.1.2.3" and plan.port == 8000


@pytest.mark.parametrize("url", ["127.0.0.1:8000", "ftp://127.0.0.1/", "http:///x"])
def test_bad_urls(url: str) -> None:
    with pytest.raises(UsageError):
        build_plan(url)


def test_url_path_and_query_are_the_request() -> None:
    plan = build_plan("http://127.0.0.1:9/items?x=1")
    assert plan.requests[0].path == "/items?x=1"
    assert plan.host_header == "127.0.0.1:9"
    assert build_plan("http://127.0.0.1:9/api", paths=("/a", "b")).requests[1].path == "/api/b"


def test_bad_header_method_and_json() -> None:
    with pytest.raises(UsageError):
        build_plan("http://127.0.0.1/", headers={"X-A\r\nInjected": "1"})
    with pytest.raises(UsageError, match="Latin-1"):
        build_plan("http://127.0.0.1/", headers={"X-A": "\u20ac"})
    with pytest.raises(UsageError, match="percent-encode"):
        build_plan("http://127.0.0.1/", paths=("/caf\u00e9",))
    with pytest.raises(UsageError):
        build_plan("http://127.0.0.1/", method="BREW")
    with pytest.raises(ConfigError, match="JSON"):
        build_plan("http://127.0.0.1/", json_body="{nope")


def _spec(tmp_path: Path, text: str) -> str:
    p = tmp_path / "spec.yaml"
    p.write_text(text, encoding="utf-8")
    return str(p)


def test_spec_with_weights_json_and_headers(tmp_path: Path) -> None:
    spec = _spec(tmp_path, """
headers: {Authorization: Bearer t}
requests:
  - name: list
    path: /items
    weight: 3
  - method: post
    path: items/{counter}
    json: {name: "n{randint:1:3}"}
    headers: {X-Trace: "1"}
""")
    plan = build_plan("http://127.0.0.1:8000", spec_file=spec)
    first, second = plan.requests
    assert first.name == "list" and first.weight == 3 and ("Authorization", "Bearer t") in first.headers
    assert second.method == "POST" and second.path == "/items/{counter}"
    assert ("Content-Type", "application/json") in second.headers and ("X-Trace", "1") in second.headers
    assert second.body == '{"name":"n{randint:1:3}"}'


@pytest.mark.parametrize("text, message", [
    ("requests: []", "non-empty"),
    ("requests: [{method: GET}]", "path"),
    ("requests: [{path: /, weight: 0}]", "weight"),
    ("requests: [{path: /, weight: true}]", "weight"),
    ("requests: [{path: /, headers: [1]}]", "headers"),
    ("requests: [{path: /, json: '{bad'}]", "JSON"),
    ("requests: [{path: /, method: BREW}]", "method"),
    ("requests: [\n  - path: /\n bad", "YAML"),
])
def test_bad_specs_are_config_errors(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        build_plan("http://127.0.0.1/", spec_file=_spec(tmp_path, text))


def test_missing_spec_file() -> None:
    with pytest.raises(ConfigError, match="cannot read"):
        build_plan("http://127.0.0.1/", spec_file="/nonexistent/spec.yaml")


def test_counter_is_unique_across_processes_and_randint_in_range(tmp_path: Path) -> None:
    plan = build_plan("http://127.0.0.1:8000", paths=("/i/{counter}/{randint:5:7}",))
    sources = [RequestSource(plan, index=i, stride=2, seed=i) for i in range(2)]
    seen, rand = [], set()
    for _ in range(50):
        for src in sources:
            line = src.next().split(b"\r\n", 1)[0].decode()  # GET /i/N/R HTTP/1.1
            _, n, r = line.split(" ")[1].split("/")[1:]
            seen.append(int(n))
            rand.add(int(r))
    assert sorted(seen) == list(range(100))
    assert rand == {5, 6, 7}


def test_weights_and_encoding(tmp_path: Path) -> None:
    spec = _spec(tmp_path, "requests:\n  - {path: /a, weight: 3}\n  - {path: /b, method: POST, json: {x: 1}}\n")
    src = RequestSource(build_plan("http://127.0.0.1:8000", spec_file=spec), seed=1)
    reqs = [src.next() for _ in range(4000)]
    share_a = sum(r.startswith(b"GET /a ") for r in reqs) / len(reqs)
    assert 0.72 < share_a < 0.78
    post = next(r for r in reqs if r.startswith(b"POST"))
    assert post.endswith(b'\r\n\r\n{"x":1}') and b"Content-Length: 7\r\n" in post
    assert b"Host: 127.0.0.1:8000\r\n" in post


@pytest.mark.live
def test_locustfile_export_is_valid_python_and_runs(tmp_path: Path) -> None:
    spec = _spec(tmp_path, "requests:\n  - {path: '/items/{counter}', weight: 2}\n  - {path: /echo, method: POST, "
                           "json: {a: 1}, weight: 0.5}\n")
    source = render_locustfile(build_plan("http://127.0.0.1:8000", spec_file=spec))
    tree = ast.parse(source)
    tasks = [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef) and n.name.startswith("request_")]
    assert len(tasks) == 2
    assert "@task(4)" in source and "@task(1)" in source  # 2 : 0.5 as whole numbers
    # find_spec, not importorskip: importing locust gevent-patches this test process for good.
    if importlib.util.find_spec("locust") is None:
        pytest.skip("locust not installed")
    from workeradvisor.launch import serve

    lf = tmp_path / "locustfile.py"
    lf.write_text(source, encoding="utf-8")
    app = str(Path(__file__).parent / "apps" / "load_target.py") + ":app"
    with serve(app) as srv:
        done = subprocess.run([sys.executable, "-m", "locust", "-f", str(lf), "--headless", "--host", srv.base_url,
                               "-u", "2", "-r", "2", "-t", "2s", "--csv", str(tmp_path / "out"), "--only-summary"],
                              capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr[-500:]
    stats = (tmp_path / "out_stats.csv").read_text()
    assert "/items/{counter}" in stats and "POST /echo" in stats
