"""Which requests a run sends: the user's paths or spec, real traffic from an access log, the app's
OpenAPI document, or, last, the scan's simple GET routes.

With no ``--path``/``--requests``, real APIs are measured with their real operations: FastAPI
serves ``/openapi.json``, so the mix covers every operation (POSTs with schema-valid JSON bodies,
ids in paths from earlier POSTs). Operations that fail their probe are reported and left out, so
the load measures the API, not its 404s. Every HTTP client here ignores proxy variables and only
ever talks to the launched server on loopback (``--openapi URL`` may name another host: reading a
document is not load).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx
import yaml

from workeradvisor.errors import ConfigError, UsageError
from workeradvisor.load.accesslog import TrafficMix
from workeradvisor.load.accesslog import build_mix as access_log_mix
from workeradvisor.load.openapi import DEFAULT_METHODS, Sender, build_mix, harvest_ids, operations, probe
from workeradvisor.load.schemadata import SchemaData
from workeradvisor.models.load import RequestTemplate
from workeradvisor.safeio import read_bounded

MAX_DOCUMENT_BYTES = 8 * 1024 * 1024  # an OpenAPI document or access log read here, at most
PROBE_TIMEOUT_S = 5.0


@dataclass(frozen=True)
class Traffic:
    """The requests chosen and why (notes go to the report)."""

    requests: tuple[RequestTemplate, ...]
    notes: tuple[str, ...]
    log: TrafficMix | None = field(default=None, compare=False)  # an access log's mix: its replay schedule


def _parse_document(text: str, where: str) -> dict[str, Any]:
    try:
        data = json.loads(text) if text.lstrip().startswith("{") else yaml.safe_load(text)
    except (ValueError, yaml.YAMLError) as exc:
        raise ConfigError(f"OpenAPI document {where}: not JSON or YAML ({str(exc).splitlines()[0]})") from None
    if not isinstance(data, dict) or not isinstance(data.get("paths"), dict):
        raise ConfigError(f"OpenAPI document {where}: no 'paths' mapping")
    return data


def _read_bounded(path: str, what: str) -> str:
    """The one bounded reader (regular files only, size cap), undecodable bytes replaced."""
    return read_bounded(path, what, MAX_DOCUMENT_BYTES, errors="replace")


def fetch_document(client: httpx.Client, source: str | None) -> dict[str, Any] | None:
    """``source`` as a file or URL; None: the app's own ``/openapi.json`` (absent: None, no error)."""
    if source and not source.startswith(("http://", "https://")):
        return _parse_document(_read_bounded(source, "--openapi"), source)
    url = source or "/openapi.json"
    try:
        response = client.get(url)
    except httpx.HTTPError as exc:
        if source:
            raise ConfigError(f"--openapi {source}: {exc}") from None
        return None
    if response.status_code != 200 or len(response.content) > MAX_DOCUMENT_BYTES:
        if source:
            raise ConfigError(f"--openapi {source}: HTTP {response.status_code}")
        return None
    try:
        return _parse_document(response.text, url)
    except ConfigError:
        if source:
            raise
        return None


def _sender(client: httpx.Client) -> Sender:
    def send(method: str, path: str, body: str | None) -> tuple[int, Any]:
        headers = {"Content-Type": "application/json"} if body is not None else {}
        try:
            response = client.request(method, path, content=body, headers=headers)
        except httpx.HTTPError:
            return 0, None
        try:
            return response.status_code, response.json()
        except ValueError:
            return response.status_code, None
    return send


def openapi_traffic(base_url: str, source: str | None, methods: Sequence[str] = DEFAULT_METHODS,
                    headers: dict[str, str] | None = None) -> Traffic | None:
    """The mix from the OpenAPI document, probed against the running server; None without a document."""
    with httpx.Client(base_url=base_url, trust_env=False, timeout=PROBE_TIMEOUT_S, headers=headers or {}) as client:
        doc = fetch_document(client, source)
        if doc is None:
            return None
        ops = operations(doc, methods)
        if not ops:
            raise ConfigError(f"OpenAPI document has no {'/'.join(methods)} operation")
        send = _sender(client)
        ids = harvest_ids(ops, SchemaData(doc, seed=1), send)
        kept, excluded = probe(build_mix(doc, methods=methods, headers=headers, ids=ids, seed=2), send)
    where = source or "/openapi.json"
    names = sorted({t.name for t in kept})
    notes = [f"requests from the OpenAPI document {where}: {len(names)} operation(s), equal weights"
             + (f", ids from POSTs to {', '.join(sorted(ids))}" if ids else "")]
    for e in excluded:
        codes = ", ".join(f"{'no response' if s == 0 else s} x{n}" for s, n in e.statuses)
        notes.append(f"taken out of the mix: {e.name} failed its probe ({codes})")
    if not kept:
        raise ConfigError(f"every operation of {where} failed its probe: " + "; ".join(notes[1:]))
    return Traffic(kept, tuple(notes))


def access_log_traffic(path: str, body: str | None = None, headers: dict[str, str] | None = None) -> Traffic:
    mix = access_log_mix(_read_bounded(path, "--access-log").splitlines(), body=body, headers=headers)
    notes = [f"requests from the access log {path}: {len(mix.requests)} path(s) weighted by "
             f"{mix.lines - mix.skipped} logged request(s) ({mix.skipped} line(s) skipped)"]
    if mix.without_body:
        notes.append(f"replayed without a body (access logs do not record them): {', '.join(mix.without_body)}")
    return Traffic(mix.requests, tuple(notes), mix)


def method_list(text: str) -> tuple[str, ...]:
    """``--methods GET,POST``: the OpenAPI operations to load (DELETE only when named)."""
    methods = tuple(m.strip().upper() for m in text.split(",") if m.strip())
    if not methods or any(m not in ("GET", "POST", "PUT", "PATCH", "DELETE") for m in methods):
        raise UsageError(f"--methods {text!r}: expected some of GET,POST,PUT,PATCH,DELETE")
    return methods


def check_traffic_options(spec: str | None, openapi: str | None, access_log: str | None, speed: float | None,
                          rate: float | None) -> None:
    """``load``'s traffic sources exclude each other; ``--speed`` replays an access log and is its own rate."""
    given = [f for f, v in (("--requests", spec), ("--openapi", openapi), ("--access-log", access_log)) if v]
    if len(given) > 1:
        raise UsageError(f"give one of {', '.join(given)}, not several")
    if speed is not None:
        if not access_log:
            raise UsageError("--speed replays an access log: add --access-log FILE")
        if rate is not None:
            raise UsageError("--speed sets the rate (the log's, times X): drop --rate")
        if not 0 < speed <= 1000:
            raise UsageError("--speed must be > 0 and at most 1000")


def chosen_traffic(url: str, openapi: str | None, access_log: str | None, methods: Sequence[str],
                   headers: dict[str, str], json_body: str | None) -> Traffic | None:
    """The mix ``load`` sends when it comes from a document or a log (None: the URL/spec's requests).
    The target was validated (loopback unless --allow-remote) before this probes it."""
    if access_log:
        return access_log_traffic(access_log, body=json_body, headers=headers)
    if openapi:
        found = openapi_traffic(url.rstrip("/"), openapi, methods, headers)
        assert found is not None  # an explicit document either parses or raises ConfigError
        return found
    return None
