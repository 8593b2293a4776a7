"""The loopback guard holds (issue 12): proxies are ignored, and the name is resolved once.

Before: readiness probes honoured HTTP_PROXY, and the generators resolved the host again, so an
/etc/hosts change after the guard's check sent the load elsewhere. The namespace test runs in
``unshare -n -m`` (a network with only ``lo`` and a private /etc/hosts), skipped where namespaces
are not permitted.
"""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from workeradvisor.launch import RunningServer, serve
from workeradvisor.load import build_plan, run_stage
from workeradvisor.load import spec as spec_mod

pytestmark = [pytest.mark.live, pytest.mark.parallel]

APP = str(Path(__file__).parent / "apps" / "load_target.py") + ":app"


@pytest.fixture(scope="module")
def server() -> Iterator[RunningServer]:
    with serve(APP) as srv:
        yield srv


def test_generators_connect_to_the_address_the_guard_resolved(server: RunningServer,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """The resolver answers 127.0.0.1 once, then a private address: only the first may be used.
    Generator processes that resolved ``rebind.invalid`` themselves would get no address at all."""
    calls: list[str] = []
    real = socket.getaddrinfo

    def rebinding(host, *args, **kwargs):  # type: ignore[no-untyped-def]
        if host != "rebind.invalid":
            return real(host, *args, **kwargs)
        calls.append(host)
        addr = "127.0.0.1" if len(calls) == 1 else "10.255.255.1"
        return real(addr, *args, **kwargs)

    monkeypatch.setattr(spec_mod.socket, "getaddrinfo", rebinding)
    plan = build_plan(f"http://rebind.invalid:{server.port}/")
    assert plan.addresses == ("127.0.0.1",) and plan.host_header == f"rebind.invalid:{server.port}"
    stage = run_stage(plan, ccu=2, duration_s=0.5, processes=1)
    assert stage.requests > 0 and stage.errors.connect == 0, stage.errors
    assert calls == ["rebind.invalid"], "the name was resolved more than once in this process"


def test_a_name_that_resolves_outside_loopback_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    real = socket.getaddrinfo
    monkeypatch.setattr(spec_mod.socket, "getaddrinfo", lambda host, *a, **k: real("10.255.255.1", *a, **k))
    with pytest.raises(spec_mod.UsageError, match="not a loopback address"):
        build_plan("http://sneaky.invalid:8000/")


_NETNS_SCRIPT = textwrap.dedent("""
    import json, os, socket, subprocess, sys, threading
    subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
    hosts = sys.argv[1]
    with open(hosts, "w") as fh:
        fh.write("127.0.0.1 localhost\\n127.0.0.1 rebind.test\\n")
    subprocess.run(["mount", "--bind", hosts, "/etc/hosts"], check=True)

    hits = []
    proxy = socket.socket()
    proxy.bind(("127.0.0.2", 0))
    proxy.listen(16)
    def accept():
        while True:
            conn, _ = proxy.accept()
            hits.append(conn.recv(4096).decode("latin-1"))
            conn.close()
    threading.Thread(target=accept, daemon=True).start()
    url = "http://127.0.0.2:%d" % proxy.getsockname()[1]
    for var in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        os.environ[var] = url
    os.environ.pop("NO_PROXY", None); os.environ.pop("no_proxy", None)

    from workeradvisor.launch import serve
    from workeradvisor.load import build_plan, run_stage
    with serve(sys.argv[2]) as srv:
        plan = build_plan("http://rebind.test:%d/" % srv.port)
        with open(hosts, "w") as fh:  # rebinding after the guard's check: same inode, seen through the mount
            fh.write("127.0.0.1 localhost\\n10.9.9.9 rebind.test\\n")
        after = socket.getaddrinfo("rebind.test", None)[0][4][0]
        stage = run_stage(plan, ccu=2, duration_s=0.5, processes=1)
    print(json.dumps({"proxy_hits": hits, "addresses": plan.addresses, "resolves_now_to": after,
                      "requests": stage.requests, "connect_errors": stage.errors.connect}))
""")


def _namespaces_permitted() -> str | None:
    if shutil.which("unshare") is None or shutil.which("ip") is None:
        return "unshare (util-linux) or ip (iproute2) not installed"
    probe = subprocess.run(["unshare", "-n", "-m", "true"], capture_output=True, text=True)
    if probe.returncode != 0:
        return f"network/mount namespaces not permitted here: {probe.stderr.strip()}"
    return None


def test_in_a_network_namespace_proxies_are_ignored_and_rebinding_cannot_redirect(tmp_path: Path) -> None:
    reason = _namespaces_permitted()
    if reason:
        pytest.skip(reason)
    script = tmp_path / "netns_check.py"
    script.write_text(_NETNS_SCRIPT)
    out = subprocess.run(["unshare", "-n", "-m", sys.executable, str(script), str(tmp_path / "hosts"), APP],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    data = json.loads(out.stdout.strip().splitlines()[-1])
    assert data["resolves_now_to"] == "10.9.9.9"  # the rebinding really happened
    assert data["addresses"] == ["127.0.0.1"]
    assert data["proxy_hits"] == [], "a client sent a request through the proxy"
    assert data["requests"] > 0 and data["connect_errors"] == 0, data
