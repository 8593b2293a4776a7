"""Finite numbers: JSON output never holds NaN/Infinity; input JSON with them (or absurd values) is refused."""

from __future__ import annotations

import json
import math

import pytest

from workeradvisor.errors import ConfigError, UsageError
from workeradvisor.jsonsafe import check_numbers, dumps, finite, finite_option, loads_checked

GOOD_LOAD = {
    "target": "http://127.0.0.1:8000/",
    "stages": [{"kind": "ccu", "ccu": 10, "duration_s": 5.0, "requests": 500, "rps": 100.0,
                "latency_ms": {"count": 500, "mean": 10.0, "p50": 9.0, "p99": 30.0, "max": 41.0},
                "errors": {"connect": 0, "timeout": 0, "http_4xx": 0, "http_5xx": 0, "read": 0},
                "server": {"processes": [{"pid": 1, "role": "worker", "cpu_percent": 55.0, "rss_bytes": 1 << 26}],
                           "total_cpu_percent": 55.0, "total_rss_bytes": 1 << 26},
                "generator": {"cpu_percent": 20.0, "host_cpu_idle_percent": 60.0}}],
}


def test_dumps_turns_non_finite_into_null() -> None:
    text = dumps({"a": float("nan"), "b": [1.0, float("inf")], "c": {"d": -math.inf}, "e": 2})
    assert json.loads(text) == {"a": None, "b": [1.0, None], "c": {"d": None}, "e": 2}
    assert "NaN" not in text and "Infinity" not in text


def test_finite_reports_where_the_holes_were() -> None:
    holes: list[str] = []
    finite({"gain": float("nan"), "rows": [{"p99": float("inf")}]}, holes)
    assert holes == ["gain", "rows[0].p99"]


def test_good_saved_result_passes() -> None:
    check_numbers(GOOD_LOAD, "load.json")
    assert loads_checked(json.dumps(GOOD_LOAD), "load.json") == GOOD_LOAD


def test_nan_token_in_input_is_one_line_config_error() -> None:
    text = json.dumps(GOOD_LOAD).replace('"rps": 100.0', '"rps": NaN')
    with pytest.raises(ConfigError) as exc:
        loads_checked(text, "load.json")
    assert str(exc.value) == "load.json: NaN is not a finite number (JSON has no NaN)"
    assert exc.value.exit_code == 2


def test_non_finite_value_names_the_field() -> None:
    bad = json.loads(json.dumps(GOOD_LOAD))
    bad["stages"][0]["latency_ms"]["p99"] = float("inf")
    with pytest.raises(ConfigError, match=r"load.json: stages\[0\].latency_ms.p99 is Infinity: not a finite number"):
        check_numbers(bad, "load.json")


@pytest.mark.parametrize(("where", "value", "field"), [
    (("stages", 0, "rps"), -5.0, "stages[0].rps is -5"),
    (("stages", 0, "rps"), 1e12, "stages[0].rps is 1e+12"),
    (("stages", 0, "latency_ms", "p99"), 1e10, "stages[0].latency_ms.p99 is 1e+10"),
    (("stages", 0, "requests"), -1, "stages[0].requests is -1"),
    (("stages", 0, "generator", "host_cpu_idle_percent"), 250.0, "host_cpu_idle_percent is 250"),
])
def test_absurd_values_name_the_field(where: tuple, value: float, field: str) -> None:
    bad = json.loads(json.dumps(GOOD_LOAD))
    node = bad
    for key in where[:-1]:
        node = node[key]
    node[where[-1]] = value
    with pytest.raises(ConfigError) as exc:
        check_numbers(bad, "load.json")
    assert field in str(exc.value) and "\n" not in str(exc.value)


def test_share_out_of_range() -> None:
    with pytest.raises(ConfigError, match="per_request.request_cpu_ratio is 1.5"):
        check_numbers({"per_request": {"request_cpu_ratio": 1.5}}, "profile.json")


def test_finite_option() -> None:
    assert finite_option("--cores", 1.5) == 1.5
    assert finite_option("--cores", None) is None
    with pytest.raises(UsageError, match="--cores must be a finite number, not NaN"):
        finite_option("--cores", float("nan"))
