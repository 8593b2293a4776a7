"""Plausible values that satisfy a JSON Schema (OpenAPI 3.x request bodies and parameters).

Why not a property-based generator (hypothesis-jsonschema): its values are adversarial by design —
empty strings, boundary numbers, odd Unicode — which is right for fuzzing and wrong for a load mix
meant to look like production traffic, where the request CPU measured should be the typical one.
This generator picks typical values inside the constraints (a string of middling length, a number
in the middle of its range, an address that a validator accepts), deterministically from a seed,
and every request is generated once before the run so the load engine's hot path is unchanged.

Supported: type (and type lists), enum, const, default/example/examples, minimum/maximum (and
exclusive), multipleOf, minLength/maxLength, common formats, pattern (strings drawn from the
regex by rstr), arrays with minItems/maxItems/uniqueItems, objects with
required/optional properties and additionalProperties, nullable, allOf/anyOf/oneOf, local ``$ref``.
"""

from __future__ import annotations

import math
import random
import re
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import rstr  # regex-directed strings (sre_parse walk): patterns like ^[A-Z]{3}[0-9]{4}$

MAX_DEPTH = 8  # recursive schemas (a tree of comments) stop here with the smallest valid value
_WORDS = ("alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india", "juliet")


class SchemaError(ValueError):
    """The schema cannot be satisfied or uses a reference that does not resolve."""


class SchemaData:
    """Values for schemas of one OpenAPI document (``components`` resolve ``$ref``)."""

    def __init__(self, document: Mapping[str, Any], seed: int = 0) -> None:
        self.document = document
        self.rng = random.Random(seed)
        self.counter = 0

    def resolve(self, schema: Mapping[str, Any]) -> Mapping[str, Any]:
        seen: set[str] = set()
        while isinstance(schema, Mapping) and "$ref" in schema:
            ref = str(schema["$ref"])
            if not ref.startswith("#/") or ref in seen:
                raise SchemaError(f"unresolvable $ref {ref}")
            seen.add(ref)
            node: Any = self.document
            for part in ref[2:].split("/"):
                part = part.replace("~1", "/").replace("~0", "~")
                if not isinstance(node, Mapping) or part not in node:
                    raise SchemaError(f"unresolvable $ref {ref}")
                node = node[part]
            schema = node
        return schema if isinstance(schema, Mapping) else {}

    def value(self, schema: Mapping[str, Any] | None, name: str = "", depth: int = 0) -> Any:
        s = self.resolve(schema or {})
        if depth > MAX_DEPTH:
            return None
        for key in ("const", "example", "default"):
            if key in s:
                return s[key]
        if isinstance(s.get("examples"), list) and s["examples"]:
            return s["examples"][0]
        if isinstance(s.get("enum"), list) and s["enum"]:
            return self.rng.choice(s["enum"])
        if "allOf" in s:
            return self.value(_merge_all(self, s), name, depth + 1)
        for key in ("oneOf", "anyOf"):
            options = [o for o in s.get(key) or () if self.resolve(o).get("type") != "null"]
            if options:
                return self.value(options[0], name, depth + 1)
        kind = _type_of(s)
        maker = {"string": self._string, "integer": self._integer, "number": self._number,
                 "boolean": lambda s, n, d: self.rng.random() < 0.5, "array": self._array,
                 "object": self._object, "null": lambda s, n, d: None}[kind]
        return maker(s, name, depth)

    def _string(self, s: Mapping[str, Any], name: str, depth: int) -> str:
        self.counter += 1
        lo, hi = int(s.get("minLength", 0)), s.get("maxLength")
        fmt = str(s.get("format", ""))
        text = _formatted(fmt, self.counter, self.rng) if fmt else None
        if text is None and "pattern" in s:
            text = _from_pattern(str(s["pattern"]), self.rng, lo, None if hi is None else int(hi))
        if text is None:
            base = name.lower() if name.isidentifier() else "value"
            text = f"{base}-{self.rng.choice(_WORDS)}-{self.counter}"
        if len(text) < lo:
            text += "x" * (lo - len(text))
        if hi is not None and len(text) > int(hi):
            text = text[: int(hi)] if int(hi) >= lo else text
        return text

    def _bounds(self, s: Mapping[str, Any], default_lo: float, default_hi: float) -> tuple[float, float]:
        lo = s.get("minimum", default_lo)
        hi = s.get("maximum", max(default_hi, float(lo) + 1))
        ex_lo, ex_hi = s.get("exclusiveMinimum"), s.get("exclusiveMaximum")
        if isinstance(ex_lo, int | float) and not isinstance(ex_lo, bool):
            lo = ex_lo
        if isinstance(ex_hi, int | float) and not isinstance(ex_hi, bool):
            hi = ex_hi
        if float(lo) > float(hi):
            raise SchemaError(f"minimum {lo} above maximum {hi}")
        return float(lo), float(hi)

    def _integer(self, s: Mapping[str, Any], name: str, depth: int) -> int:
        lo, hi = self._bounds(s, 1, 100)
        low = math.floor(lo) + 1 if _exclusive(s, "exclusiveMinimum") else math.ceil(lo)
        high = math.ceil(hi) - 1 if _exclusive(s, "exclusiveMaximum") else math.floor(hi)
        if low > high:
            raise SchemaError(f"no integer between {lo} and {hi}")
        value = (low + high) // 2 if high - low > 1000 else self.rng.randint(low, high)
        step = s.get("multipleOf")
        if isinstance(step, int) and step > 0 and value % step:
            value += step - value % step
            if value > high:
                value -= step
            if value < low:
                raise SchemaError(f"no multiple of {step} between {lo} and {hi}")
        return value

    def _number(self, s: Mapping[str, Any], name: str, depth: int) -> float:
        lo, hi = self._bounds(s, 0.0, 100.0)
        value = lo + (hi - lo) * (0.25 + 0.5 * self.rng.random())
        step = s.get("multipleOf")
        if isinstance(step, int | float) and step > 0:
            value = round(value / step) * step
        return round(value, 6)

    def _array(self, s: Mapping[str, Any], name: str, depth: int) -> list[Any]:
        lo = int(s.get("minItems", 1))
        hi = int(s.get("maxItems", max(lo, 3)))
        count = min(max(lo, min(hi, 2)), 50)
        items = s.get("items") or {}
        out: list[Any] = []
        for _ in range(count * 4):
            if len(out) == count:
                break
            item = self.value(items, name.rstrip("s"), depth + 1)
            if not s.get("uniqueItems") or item not in out:
                out.append(item)
        return out

    def _object(self, s: Mapping[str, Any], name: str, depth: int) -> dict[str, Any]:
        props: Mapping[str, Any] = s.get("properties") or {}
        required = set(s.get("required") or ())
        out = {key: self.value(sub, key, depth + 1) for key, sub in props.items()
               if key in required or depth < 3}
        extra = s.get("additionalProperties")
        if not props and isinstance(extra, Mapping):
            out[f"key{self.counter}"] = self.value(extra, "value", depth + 1)
        return {k: v for k, v in out.items() if v is not None or k in required}


def _exclusive(s: Mapping[str, Any], key: str) -> bool:
    """OpenAPI 3.0 writes ``exclusiveMinimum: true`` beside ``minimum``; 3.1 writes the bound itself."""
    value = s.get(key)
    return value is True or (isinstance(value, int | float) and not isinstance(value, bool))


def _type_of(s: Mapping[str, Any]) -> str:
    kind = s.get("type")
    if isinstance(kind, list):
        kinds = [k for k in kind if k != "null"]
        kind = kinds[0] if kinds else "null"
    if kind in ("string", "integer", "number", "boolean", "array", "object", "null"):
        return str(kind)
    if "properties" in s:
        return "object"
    if "items" in s:
        return "array"
    return "string"


def _merge_all(gen: SchemaData, s: Mapping[str, Any]) -> dict[str, Any]:
    merged: dict[str, Any] = {k: v for k, v in s.items() if k != "allOf"}
    for part in s.get("allOf") or ():
        sub = gen.resolve(part)
        for key, value in sub.items():
            if key == "properties":
                merged["properties"] = {**merged.get("properties", {}), **value}
            elif key == "required":
                merged["required"] = [*merged.get("required", []), *value]
            else:
                merged.setdefault(key, value)
    return merged


def _formatted(fmt: str, n: int, rng: random.Random) -> str | None:
    now = datetime(2026, 1, 1, tzinfo=UTC) + timedelta(minutes=n)
    return {
        "email": f"user{n}@example.com",
        "uuid": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
        "date": now.date().isoformat(),
        "date-time": now.isoformat().replace("+00:00", "Z"),
        "time": now.time().isoformat() + "Z",
        "uri": f"https://example.com/item/{n}",
        "url": f"https://example.com/item/{n}",
        "hostname": f"host{n}.example.com",
        "ipv4": f"192.0.2.{n % 250 + 1}",
        "ipv6": f"2001:db8::{n % 65535:x}",
        "password": f"Secret-{n}-Passw0rd",
        "byte": "d29ya2VyYWR2aXNvcg==",
    }.get(fmt)


def _from_pattern(pattern: str, rng: random.Random, lo: int, hi: int | None) -> str | None:
    """A string matching ``pattern`` within the length bounds (rstr walks the parsed regex), or None."""
    try:
        maker = rstr.Rstr(rng)
        short = _bounded_repeats(pattern)
        found = [c for c in (maker.xeger(short) for _ in range(8))
                 if re.search(pattern, c) and lo <= len(c) <= (hi if hi is not None else len(c))]
    except (re.error, ValueError, IndexError, OverflowError):
        return None
    return min(found, key=len) if found else None


def _bounded_repeats(pattern: str, most: int = 8) -> str:
    """``+`` and ``*`` become ``{1,most}`` and ``{0,most}`` (rstr repeats them up to 100 times)."""
    out, in_class, i = [], False, 0
    while i < len(pattern):
        c = pattern[i]
        if c == "\\":
            out.append(pattern[i:i + 2])
            i += 2
            continue
        if c == "[" and not in_class:
            in_class = True
        elif c == "]" and in_class:
            in_class = False
        elif c in "+*" and not in_class and not (i + 1 < len(pattern) and pattern[i + 1] in "?+"):
            c = f"{{{1 if c == '+' else 0},{most}}}"
        out.append(c)
        i += 1
    return "".join(out)
