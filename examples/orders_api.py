"""A POST-heavy JSON API like most real services: constrained bodies, nested models, path ids.

Operations differ in cost: creating an order and reading one are cheap; ``POST /quotes`` prices a
basket with ~8 ms of pure-Python work on the event loop (the operation a per-endpoint breakdown
should name). State is in memory; ids come back from ``POST /orders`` and ``POST /customers``.
"""

from __future__ import annotations

import itertools
from enum import StrEnum

from fastapi import FastAPI, HTTPException, Query
from pydantic import BaseModel, Field

app = FastAPI(title="orders-api")

PRICING_ROUNDS = 40_000  # ~8 ms of pure Python per quote on this class of machine


class Tier(StrEnum):
    free = "free"
    pro = "pro"
    enterprise = "enterprise"


class Address(BaseModel):
    street: str = Field(min_length=3, max_length=80)
    city: str = Field(min_length=2, max_length=40)
    postcode: str = Field(pattern=r"^[0-9]{5}$")


class Customer(BaseModel):
    name: str = Field(min_length=2, max_length=50)
    tier: Tier
    address: Address
    tags: list[str] = Field(default_factory=list, max_length=5)


class Line(BaseModel):
    sku: str = Field(pattern=r"^[A-Z]{3}[0-9]{4}$")
    quantity: int = Field(ge=1, le=20)
    unit_price: float = Field(gt=0, le=1000)


class Order(BaseModel):
    customer_id: int = Field(ge=1)
    lines: list[Line] = Field(min_length=1, max_length=10)
    note: str | None = Field(default=None, max_length=200)


_ids = itertools.count(1)
_customers: dict[int, Customer] = {}
_orders: dict[int, Order] = {}


@app.get("/")
async def health() -> dict[str, str]:
    return {"status": "ok"}


@app.post("/customers", status_code=201)
async def create_customer(customer: Customer) -> dict[str, object]:
    cid = next(_ids)
    _customers[cid] = customer
    return {"id": cid, **customer.model_dump()}


@app.get("/customers/{customer_id}")
async def read_customer(customer_id: int) -> dict[str, object]:
    if customer_id not in _customers:
        raise HTTPException(404, "no such customer")
    return {"id": customer_id, **_customers[customer_id].model_dump()}


@app.post("/orders", status_code=201)
async def create_order(order: Order) -> dict[str, object]:
    oid = next(_ids)
    _orders[oid] = order
    return {"id": oid, "lines": len(order.lines)}


@app.get("/orders/{order_id}")
async def read_order(order_id: int) -> dict[str, object]:
    if order_id not in _orders:
        raise HTTPException(404, "no such order")
    return {"id": order_id, **_orders[order_id].model_dump()}


@app.get("/orders")
async def list_orders(limit: int = Query(10, ge=1, le=100), tier: Tier | None = None) -> dict[str, object]:
    return {"count": len(_orders), "ids": list(_orders)[-limit:]}


def price(lines: list[Line], rounds: int = PRICING_ROUNDS) -> float:
    """Pure-Python pricing that holds the GIL on the loop thread."""
    acc = 0
    for i in range(rounds):
        acc = (acc * 1_103_515_245 + 12_345 + i) % 2_147_483_648
    base = sum(line.quantity * line.unit_price for line in lines)
    return round(base * (1 + (acc % 7) / 100), 2)


@app.post("/quotes")
async def quote(order: Order) -> dict[str, float]:
    return {"total": price(order.lines)}
