"""What to send: a ``RequestPlan`` built from a URL and flags or a YAML request spec.

Requests are pre-encoded to HTTP/1.1 bytes once, so the hot path only copies bytes. Paths and
bodies may hold placeholders rendered per request: ``{counter}`` (0, 1, 2, ... unique across
generator processes) and ``{randint:LO:HI}`` (inclusive). The plan is plain data so it can be
sent to generator processes as JSON.
"""

from __future__ import annotations

import ipaddress
import json
import random
import re
import socket
from bisect import bisect_right
from collections.abc import Callable, Mapping, Sequence
from urllib.parse import urlsplit

from workeradvisor.errors import ConfigError, UsageError
from workeradvisor.models.load import RequestPlan, RequestTemplate  # the plan is a model (profile uses it too)

_PLACEHOLDER = re.compile(r"\{(counter|randint:(-?\d+):(-?\d+))\}")
_METHODS = {"GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}  # no HEAD: its responses lie about body length


def resolve(host: str) -> tuple[str, ...]:
    """Every address ``host`` resolves to, in resolver order, without duplicates; () when it does not."""
    try:
        infos = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        return ()
    return tuple(dict.fromkeys(str(info[4][0]) for info in infos))


def _all_loopback(addrs: tuple[str, ...]) -> bool:
    return bool(addrs) and all(ipaddress.ip_address(a.split("%")[0]).is_loopback for a in addrs)


def is_loopback(host: str) -> bool:
    """True when every address ``host`` resolves to is a loopback address."""
    return _all_loopback(resolve(host))


def build_plan(
    base_url: str,
    *,
    paths: Sequence[str] = ("/",),
    spec_file: str | None = None,
    method: str = "GET",
    headers: Mapping[str, str] | None = None,
    json_body: str | None = None,
    allow_remote: bool = False,
    requests: Sequence[RequestTemplate] = (),
) -> RequestPlan:
    """Validate the target (loopback only unless ``allow_remote``) and the requests to send:
    ``requests`` (pre-built, e.g. from an OpenAPI document or access log), a spec file, or paths."""
    parts = urlsplit(base_url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UsageError(f"URL {base_url!r} must look like http://127.0.0.1:8000")
    host = parts.hostname
    addresses = resolve(host)  # once: the generators get these addresses, not the name
    if not allow_remote and not _all_loopback(addresses):
        raise UsageError(f"target {host} is not a loopback address; pass --allow-remote to load it")
    port = parts.port or (443 if parts.scheme == "https" else 80)
    default_port = port == (443 if parts.scheme == "https" else 80)
    host_header = host if default_port else f"{host}:{port}"
    base_path = parts.path.rstrip("/")
    if not spec_file and tuple(paths or ("/",)) == ("/",) and (base_path or parts.query):
        paths, base_path = ((base_path or "/") + (f"?{parts.query}" if parts.query else ""),), ""
    if requests:
        reqs = tuple(_template(t.name, t.method, base_path + t.path, dict(t.headers), t.body, t.weight)
                     for t in requests)
    elif spec_file:
        reqs = load_spec(spec_file, base_path, dict(headers or {}))
    else:
        if json_body is not None:
            _check_json(json_body, "--json")
        hdrs = dict(headers or {})
        if json_body is not None:
            hdrs.setdefault("Content-Type", "application/json")
        reqs = tuple(
            _template(f"{method} {p}", method, base_path + (p if p.startswith("/") else "/" + p), hdrs, json_body, 1)
            for p in (paths or ("/",))
        )
    origin = f"{parts.scheme}://{host_header}"
    return RequestPlan(origin, parts.scheme, host, port, host_header, reqs, addresses)


def _check_json(text: str, where: str) -> None:
    try:
        json.loads(_PLACEHOLDER.sub("0", text))
    except RecursionError:
        raise ConfigError(f"{where}: JSON nested too deeply") from None
    except ValueError as exc:
        raise ConfigError(f"{where}: not valid JSON ({exc})") from None


def _template(name: str, method: str, path: str, headers: Mapping[str, str], body: str | None,
              weight: float) -> RequestTemplate:
    method = method.upper()
    if method not in _METHODS:
        raise UsageError(f"unsupported HTTP method {method!r}")
    for k, v in headers.items():
        if any(c in str(k) + str(v) for c in "\r\n") or ":" in str(k) or not _latin1(f"{k}{v}"):
            raise UsageError(f"bad header {k!r}: no line breaks, no ':' in the name, Latin-1 text only")
    if not path.isascii() or any(c in path for c in " \r\n"):
        raise UsageError(f"bad path {path!r}: percent-encode spaces and non-ASCII characters")
    return RequestTemplate(name, method, path, tuple((str(k), str(v)) for k, v in headers.items()), body,
                           float(weight))


def _latin1(text: str) -> bool:
    try:
        text.encode("latin-1")
    except UnicodeEncodeError:
        return False
    return True


def load_spec(
    spec_file: str, base_path: str = "", headers: dict[str, str] | None = None
) -> tuple[RequestTemplate, ...]:
    """Parse a YAML request spec (see docs/load.md) into templates; ConfigError on anything malformed.

    Read through ``safeio`` (regular file, ``MAX_CONFIG_FILE`` bytes, alias budget, depth cap): a
    700-byte spec whose ``json:`` is an alias bomb is refused before ``json.dumps`` could expand it."""
    from workeradvisor import safeio  # here, not at the top: generator processes never parse specs

    data = safeio.load_yaml(safeio.read_bounded(spec_file, "request spec", safeio.MAX_CONFIG_FILE),
                            f"request spec {spec_file}")
    if not isinstance(data, dict) or not isinstance(data.get("requests"), list) or not data["requests"]:
        raise ConfigError(f"request spec {spec_file}: expected a mapping with a non-empty 'requests' list")
    common = {**(headers or {}), **_str_map(data.get("headers") or {}, spec_file)}
    out = []
    for i, item in enumerate(data["requests"]):
        where = f"{spec_file}: requests[{i}]"
        if not isinstance(item, dict) or not isinstance(item.get("path"), str):
            raise ConfigError(f"{where}: each request needs a 'path' string")
        hdrs = {**common, **_str_map(item.get("headers") or {}, where)}
        body: str | None = None
        if "json" in item:
            body = item["json"] if isinstance(item["json"], str) else _json_text(item["json"], where)
            _check_json(body, where)
            hdrs.setdefault("Content-Type", "application/json")
        elif "body" in item:
            body = str(item["body"])
        weight = item.get("weight", 1)
        if not isinstance(weight, int | float) or isinstance(weight, bool) or weight <= 0:
            raise ConfigError(f"{where}: weight must be a positive number")
        path = item["path"] if item["path"].startswith("/") else "/" + item["path"]
        method = str(item.get("method", "GET"))
        name = str(item.get("name", f"{method.upper()} {path}"))
        try:
            out.append(_template(name, method, base_path + path, hdrs, body, weight))
        except UsageError as exc:
            raise ConfigError(f"{where}: {exc}") from None
    return tuple(out)


def _json_text(value: object, where: str) -> str:
    """The ``json:`` value as compact JSON; YAML-only types (dates, sets, NaN) are a ConfigError."""
    try:
        return json.dumps(value, separators=(",", ":"), allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"{where}: 'json' cannot be sent as JSON ({exc})") from None


def _str_map(value: object, where: str) -> dict[str, str]:
    if not isinstance(value, dict):
        raise ConfigError(f"{where}: headers must be a mapping")
    return {str(k): str(v) for k, v in value.items()}


class RequestSource:
    """Renders the next request's bytes: weighted choice, placeholders, pre-encoded when static."""

    def __init__(self, plan: RequestPlan, index: int = 0, stride: int = 1, seed: int | None = None) -> None:
        self._rng = random.Random(seed)
        self._counter = index
        self._stride = stride
        self._makers: list[Callable[[], bytes]] = [self._maker(plan, t) for t in plan.requests]
        total = 0.0
        self._cum: list[float] = []
        for t in plan.requests:
            total += t.weight
            self._cum.append(total)
        self._total = total

    def _maker(self, plan: RequestPlan, t: RequestTemplate) -> Callable[[], bytes]:
        head = "".join(f"{k}: {v}\r\n" for k, v in t.headers)
        fixed = f"Host: {plan.host_header}\r\nUser-Agent: workeradvisor\r\n{head}"
        if not _PLACEHOLDER.search(t.path) and not (t.body and _PLACEHOLDER.search(t.body)):
            static = encode_request(t.method, t.path, fixed, t.body)
            return lambda: static
        return lambda: encode_request(t.method, self.render(t.path), fixed, self.render(t.body) if t.body else t.body)

    def render(self, text: str) -> str:
        def sub(m: re.Match[str]) -> str:
            if m.group(1) == "counter":
                value = self._counter
                self._counter += self._stride
                return str(value)
            lo, hi = int(m.group(2)), int(m.group(3))
            return str(self._rng.randint(min(lo, hi), max(lo, hi)))

        return _PLACEHOLDER.sub(sub, text)

    def pick(self) -> int:
        """The next template's index, by weight (the generator counts per operation from it)."""
        if len(self._makers) == 1:
            return 0
        return min(bisect_right(self._cum, self._rng.random() * self._total), len(self._makers) - 1)

    def render_index(self, index: int) -> bytes:
        return self._makers[index]()

    def next(self) -> bytes:
        return self._makers[self.pick()]()


def encode_request(method: str, path: str, fixed_headers: str, body: str | None) -> bytes:
    payload = body.encode() if body is not None else b""
    length = f"Content-Length: {len(payload)}\r\n" if body is not None or method in ("POST", "PUT", "PATCH") else ""
    return f"{method} {path} HTTP/1.1\r\n{fixed_headers}{length}\r\n".encode("latin-1") + payload
