"""Traffic from the API's description: generated requests satisfy the schema (in-process app)."""

from __future__ import annotations

import importlib.util
import json
import re
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from workeradvisor.load.openapi import Sender, build_mix, harvest_ids, operations, probe
from workeradvisor.load.schemadata import SchemaData, SchemaError

ROOT = Path(__file__).resolve().parents[1]


def _orders_app() -> Any:
    spec = importlib.util.spec_from_file_location("orders_api_example", ROOT / "examples" / "orders_api.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # pydantic resolves the postponed annotations through it
    spec.loader.exec_module(module)
    module.PRICING_ROUNDS = 10  # correctness only: the CPU cost is measured in the live tests
    return module.app


@pytest.fixture()
def client() -> TestClient:
    return TestClient(_orders_app())


def _sender(client: TestClient) -> Sender:
    def send(method: str, path: str, body: str | None) -> tuple[int, Any]:
        r = client.request(method, path, content=body, headers={"Content-Type": "application/json"} if body else {})
        try:
            return r.status_code, r.json()
        except ValueError:
            return r.status_code, None
    return send


def test_generated_requests_are_accepted(client: TestClient) -> None:
    doc = client.get("/openapi.json").json()
    send = _sender(client)
    ids = harvest_ids(operations(doc), SchemaData(doc, seed=1), send)
    assert set(ids) >= {"/customers"}  # an order needs an existing customer id only in a real app
    mix = build_mix(doc, ids=ids, seed=2)
    assert {t.name for t in mix} == {"GET /", "POST /customers", "GET /customers/{customer_id}", "POST /orders",
                                     "GET /orders/{order_id}", "GET /orders", "POST /quotes"}
    statuses = Counter(send(t.method, t.path, t.body)[0] for t in mix)
    ok = sum(n for s, n in statuses.items() if 200 <= s < 300)
    assert ok / sum(statuses.values()) >= 0.95, statuses
    bodies = [json.loads(t.body) for t in mix if t.name == "POST /orders"]
    assert all(1 <= len(b["lines"]) <= 10 and all(1 <= ln["quantity"] <= 20 for ln in b["lines"]) for b in bodies)


def test_probe_takes_failing_operations_out(client: TestClient) -> None:
    doc = client.get("/openapi.json").json()
    mix = build_mix(doc, seed=3)  # no harvested ids: reads of /orders/{id} hit missing ids
    kept, excluded = probe(mix, _sender(client))
    names = {e.name: dict(e.statuses) for e in excluded}
    assert "GET /orders/{order_id}" in names and names["GET /orders/{order_id}"].get(404)
    assert {t.name for t in kept} >= {"POST /customers", "POST /quotes"}


def test_delete_only_when_asked() -> None:
    doc = {"paths": {"/x/{id}": {"get": {}, "delete": {}}}}
    assert [o.method for o in operations(doc)] == ["GET"]
    assert [o.method for o in operations(doc, ["GET", "DELETE"])] == ["GET", "DELETE"]


@pytest.mark.parametrize(("schema", "check"), [
    ({"type": "integer", "minimum": 5, "maximum": 7}, lambda v: 5 <= v <= 7),
    ({"type": "integer", "exclusiveMinimum": 5, "exclusiveMaximum": 7}, lambda v: v == 6),
    ({"type": "integer", "minimum": 0, "exclusiveMaximum": True, "maximum": 1}, lambda v: v == 0),
    ({"type": "integer", "minimum": 1, "maximum": 100, "multipleOf": 25}, lambda v: v % 25 == 0 and 1 <= v <= 100),
    ({"type": "string", "minLength": 40}, lambda v: len(v) >= 40),
    ({"type": "string", "maxLength": 3}, lambda v: len(v) <= 3),
    ({"type": "string", "pattern": "^[A-Z]{3}[0-9]{4}$"}, lambda v: re.fullmatch("[A-Z]{3}[0-9]{4}", v)),
    ({"type": "string", "pattern": "^(foo|bar)-[0-9]+$", "maxLength": 12}, lambda v: len(v) <= 12 and v[3] == "-"),
    ({"type": "string", "pattern": "^[0-9]{5}$"}, lambda v: len(v) == 5 and v.isdigit()),
    ({"type": "string", "format": "email"}, lambda v: "@" in v),
    ({"enum": ["a", "b"]}, lambda v: v in ("a", "b")),
    ({"type": "array", "items": {"type": "integer"}, "minItems": 4, "uniqueItems": True},
     lambda v: len(v) >= 4 and len(set(v)) == len(v)),
    ({"anyOf": [{"type": "null"}, {"type": "number", "minimum": 2, "maximum": 3}]}, lambda v: 2 <= v <= 3),
    ({"allOf": [{"properties": {"a": {"type": "integer"}}, "required": ["a"]},
                {"properties": {"b": {"const": 1}}, "required": ["b"]}]},
     lambda v: isinstance(v["a"], int) and v["b"] == 1),
])
def test_schema_values(schema: dict[str, Any], check: Any) -> None:
    data = SchemaData({}, seed=0)
    for _ in range(20):
        assert check(data.value(schema))


def test_impossible_and_recursive_schemas() -> None:
    with pytest.raises(SchemaError):
        SchemaData({}).value({"type": "integer", "minimum": 3, "maximum": 2})
    with pytest.raises(SchemaError):
        SchemaData({}).value({"$ref": "#/components/schemas/Missing"})
    doc = {"components": {"schemas": {"Node": {"type": "object", "required": ["child"],
                                               "properties": {"child": {"$ref": "#/components/schemas/Node"}}}}}}
    value = SchemaData(doc).value({"$ref": "#/components/schemas/Node"})
    depth = 0
    while isinstance(value, dict) and value.get("child") is not None:
        value, depth = value["child"], depth + 1
    assert depth <= 10
