"""A request mix from the app's OpenAPI document: every operation, with valid generated inputs.

The seed warns against synthetic benchmarks: real APIs are POST-heavy, with JSON bodies and ids in
paths. So, with no ``--path``, the mix is built from the API description: one weight per
operation (split over a few pre-generated variants), path/query parameters and JSON bodies drawn
from their schemas (``schemadata``), and path ids that name a resource taken from what earlier
POSTs to that collection returned (best effort). A short probe sends each operation a few times
before the run; an operation failing more than half of its probes is taken out of the mix and
reported with its status codes, so one broken endpoint does not read as an overloaded server.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

from workeradvisor.load.schemadata import SchemaData, SchemaError
from workeradvisor.load.spec import RequestTemplate

DEFAULT_METHODS = ("GET", "POST", "PUT", "PATCH")  # DELETE only when asked: it empties what the others read
VARIANTS = 8  # pre-generated requests per operation
PROBES = 3  # requests per operation before the run
_PARAM = re.compile(r"\{([^{}]+)\}")

# send(method, path_with_query, json_body_or_None) -> (status, parsed JSON response or None)
Sender = Callable[[str, str, str | None], tuple[int, Any]]


@dataclass(frozen=True)
class Operation:
    method: str
    path: str  # the template, e.g. "/items/{item_id}"
    name: str  # "POST /items"
    parameters: tuple[Mapping[str, Any], ...]
    body_schema: Mapping[str, Any] | None


@dataclass(frozen=True)
class Excluded:
    """An operation taken out of the mix, with the status codes its probes got."""

    name: str
    statuses: tuple[tuple[int, int], ...]  # (status, count); 0 = no response


def operations(doc: Mapping[str, Any], methods: Iterable[str] = DEFAULT_METHODS) -> list[Operation]:
    """The document's operations for ``methods``, in document order."""
    wanted = {m.upper() for m in methods}
    data = SchemaData(doc)
    out = []
    for path, item in (doc.get("paths") or {}).items():
        if not isinstance(item, Mapping) or not str(path).startswith("/"):
            continue
        shared = [data.resolve(p) for p in item.get("parameters") or ()]
        for method, op in item.items():
            if method.upper() not in wanted or not isinstance(op, Mapping):
                continue
            params = {(p.get("in"), p.get("name")): p for p in [*shared, *(data.resolve(p) for p in
                                                                           op.get("parameters") or ())]}
            out.append(Operation(method.upper(), str(path), f"{method.upper()} {path}", tuple(params.values()),
                                 _json_body(data, op)))
    return out


def _json_body(data: SchemaData, op: Mapping[str, Any]) -> Mapping[str, Any] | None:
    body = data.resolve(op.get("requestBody") or {})
    content = body.get("content") or {}
    for media, entry in content.items():
        if "json" in str(media) and isinstance(entry, Mapping):
            return entry.get("schema") or {}
    return None


def _collection(path: str) -> str:
    """``/items/{item_id}/tags`` -> ``/items``: the collection a path id names."""
    return path.split("/{", 1)[0]


def _id_from(response: Any) -> Any:
    if isinstance(response, Mapping):
        for key in ("id", "uuid", "_id", "key"):
            if isinstance(response.get(key), str | int) and not isinstance(response.get(key), bool):
                return response[key]
        ids = [v for k, v in response.items() if k.endswith("_id") and isinstance(v, str | int)]
        return ids[0] if ids else None
    return None


def render(op: Operation, data: SchemaData, ids: Mapping[str, Sequence[Any]], base_path: str = ""
           ) -> tuple[str, str | None]:
    """One request for ``op``: the path with parameters filled (and query string), and the JSON body."""
    values: dict[str, Any] = {}
    query: list[tuple[str, str]] = []
    known = ids.get(_collection(op.path)) or ()
    for p in op.parameters:
        where, name, schema = p.get("in"), str(p.get("name", "")), p.get("schema") or {}
        if where == "path":
            values[name] = data.rng.choice(list(known)) if known else data.value(schema, name)
        elif where == "query" and (p.get("required") or data.rng.random() < 0.5):
            value = data.value(schema, name)
            for v in value if isinstance(value, list) else [value]:
                query.append((name, _text(v)))
    path = _PARAM.sub(lambda m: quote(_text(values.get(m.group(1), "1")), safe=""), op.path)
    if query:
        path += "?" + urlencode(query)
    body = None
    if op.body_schema is not None:
        body = json.dumps(data.value(op.body_schema, "body"), separators=(",", ":"))
    return base_path + path, body


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return value if isinstance(value, str) else json.dumps(value)


def harvest_ids(ops: Sequence[Operation], data: SchemaData, send: Sender, base_path: str = ""
                ) -> dict[str, list[Any]]:
    """POST once to each collection without path ids and keep the ids the responses carry."""
    ids: dict[str, list[Any]] = {}
    for op in ops:
        if op.method != "POST" or "{" in op.path:
            continue
        path, body = render(op, data, {}, base_path)
        status, response = send(op.method, path, body)
        if 200 <= status < 300 and (found := _id_from(response)) is not None:
            ids.setdefault(op.path.rstrip("/") or "/", []).append(found)
    return ids


def build_mix(doc: Mapping[str, Any], *, methods: Iterable[str] = DEFAULT_METHODS, headers: Mapping[str, str]
              | None = None, ids: Mapping[str, Sequence[Any]] | None = None, base_path: str = "",
              variants: int = VARIANTS, seed: int = 0) -> tuple[RequestTemplate, ...]:
    """Pre-generated requests, ``variants`` per operation, each operation weighing the same."""
    data = SchemaData(doc, seed)
    out = []
    for op in operations(doc, methods):
        for _ in range(variants):
            try:
                path, body = render(op, data, ids or {}, base_path)
            except SchemaError:
                break
            hdrs = dict(headers or {})
            if body is not None:
                hdrs.setdefault("Content-Type", "application/json")
            out.append(RequestTemplate(op.name, op.method, path, tuple(hdrs.items()), body, 1.0 / variants))
    return tuple(out)


def probe(templates: Sequence[RequestTemplate], send: Sender, per_operation: int = PROBES
          ) -> tuple[tuple[RequestTemplate, ...], tuple[Excluded, ...]]:
    """Send each operation a few of its requests; drop operations failing more than half of them."""
    by_op: dict[str, list[RequestTemplate]] = {}
    for t in templates:
        by_op.setdefault(t.name, []).append(t)
    kept: list[RequestTemplate] = []
    excluded = []
    for name, group in by_op.items():
        statuses = Counter(send(t.method, t.path, t.body)[0] for t in group[:per_operation])
        ok = sum(n for s, n in statuses.items() if 200 <= s < 400)
        if ok * 2 >= sum(statuses.values()):
            kept.extend(group)
        else:
            excluded.append(Excluded(name, tuple(sorted(statuses.items()))))
    return tuple(kept), tuple(excluded)
