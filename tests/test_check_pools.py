"""WA520: database pools x workers x replicas against the server's connection limit (check/pools.py).

The fixtures under fixtures/check/"pools" carry inline expectations (``# expect: WA520``) for
code-only services, Dockerfile ENV, compose environment and Kubernetes replicas with an HPA.
"""

from __future__ import annotations

import pytest

from tests.check_helpers import FIXTURES, RULES, actual_findings, expected_findings, run_fixture
from workeradvisor.check.pools import PoolLimits, check_pools, default_limits, pool_calls

POOLS = FIXTURES / "pools"
CASES = ["code/bad", "code/good", "dockerfile/bad", "dockerfile/good", "compose/bad", "compose/good",
         "gunicorn_conf/bad", "gunicorn_conf/good",
         "kubernetes/bad", "kubernetes/good"]


@pytest.mark.parametrize("fixture", CASES)
def test_pool_findings_match_inline_expectations(fixture: str, monkeypatch) -> None:
    root = POOLS / fixture
    report = run_fixture(root, monkeypatch)
    assert report.problems == ()
    assert actual_findings(report) == expected_findings(root)
    marks = expected_findings(root)
    assert bool(marks) == fixture.endswith("bad")
    assert any("pools for" in n for n in report.notes), report.notes  # the arithmetic is always shown


def test_message_carries_the_numbers_and_the_fix(monkeypatch) -> None:
    report = run_fixture(POOLS / "kubernetes" / "bad", monkeypatch)
    (finding,) = report.findings
    # 15 per worker x 2 workers x 5 (HPA max) = 150 > 100; fix floor(100 x 0.8 / (2 x 5)) = 8
    assert "15 PostgreSQL connections per worker x 2 workers x 5 (HPA max) = 150" in finding.message
    assert "over the 100" in finding.message and "at most 8 connections per worker" in finding.fix


def test_code_only_sums_every_pool_to_one_database(monkeypatch) -> None:
    report = run_fixture(POOLS / "code" / "bad", monkeypatch)
    sql = next(f for f in report.findings if "PostgreSQL" in f.message)
    # create_async_engine 20 + 10 and asyncpg's default 10: 40 x 4 workers = 160; fix floor(80 / 4) = 20
    assert "up to 40 PostgreSQL connections per worker x 4 workers x 1 (replicas) = 160" in sql.message
    assert "at most 20 connections" in sql.fix
    redis = next(f for f in report.findings if "Redis" in f.message)
    assert "3000 Redis connections per worker x 4 workers x 1 (replicas) = 12000, over the 10000" in redis.message


def test_a_higher_limit_clears_the_finding(monkeypatch) -> None:
    report = run_fixture(POOLS / "kubernetes" / "bad", monkeypatch, pool_limits=PoolLimits(200, 10000, 0.8))
    assert report.findings == ()


def test_defaults_and_spellings() -> None:
    src = (
        "import asyncpg, psycopg_pool, sqlalchemy as sa\n"
        "from psycopg2.pool import ThreadedConnectionPool\n"
        "a = sa.create_engine('postgresql://x')\n"
        "b = asyncpg.create_pool('postgresql://x', max_size=7)\n"
        "c = psycopg_pool.ConnectionPool('x')\n"
        "d = psycopg_pool.ConnectionPool('x', min_size=6)\n"
        "e = sa.create_engine('postgresql://x', max_overflow=-1)\n"
        "f = create_engine('postgresql://x', pool_size=999)\n"  # not imported from SQLAlchemy: not ours to judge
    )
    pools = [c.resolve({}) for c in pool_calls("app.py", src)]
    assert [(p.line, p.per_worker) for p in pools] == [(3, 15), (4, 7), (5, 4), (6, 6), (7, None)]
    assert pools[4].detail == "max_overflow unbounded"


def test_env_value_from_the_unit_wins_over_the_code_default() -> None:
    (call,) = pool_calls("app.py", "import os, sqlalchemy\nsqlalchemy.create_engine('postgresql://x', "
                                   "pool_size=int(os.getenv('POOL', '3')))\n")
    assert (call.resolve({}).per_worker, call.resolve({"POOL": "40"}).per_worker) == (13, 50)
    assert call.resolve({"POOL": "40"}).env_var == "POOL"


def test_headroom_comes_from_the_decision_file() -> None:
    assert default_limits().headroom == 0.8 and default_limits(50).sql == 50
    assert check_pools([], [], RULES, default_limits()) == []
