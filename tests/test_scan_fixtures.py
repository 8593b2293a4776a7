"""Every scanner rule against real fixture files with the expected findings written inline
(``# error: WA101`` on the line, flake8-async style); plus rule docs and chains."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from workeradvisor.models.scan import ChainSite
from workeradvisor.scan import scan_paths
from workeradvisor.scan.config import ScanConfig
from workeradvisor.scan.docgen import DOC_PATH, rules_markdown
from workeradvisor.scan.engine import scan_rules

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures" / "scan"
_EXPECT = re.compile(r"#\s*error:\s*(WA\d+(?:\s*,\s*WA\d+)*)")


def expected_findings() -> set[tuple[str, int, str]]:
    out = set()
    for path in sorted(FIXTURES.rglob("*.py")):
        rel = path.relative_to(ROOT).as_posix()
        for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            m = _EXPECT.search(line)
            if m:
                out |= {(rel, lineno, rule.strip()) for rule in m.group(1).split(",")}
    return out


@pytest.fixture(scope="module")
def fixture_scan():
    cwd = Path.cwd()
    import os

    os.chdir(ROOT)
    try:
        return scan_paths([str(FIXTURES)], config=ScanConfig(), jobs=1)
    finally:
        os.chdir(cwd)


def test_findings_match_inline_expectations(fixture_scan) -> None:
    got = {(f.path, f.line, f.rule) for f in fixture_scan.findings}
    want = expected_findings()
    assert sorted(got - want) == [], "unexpected findings"
    assert sorted(want - got) == [], "missing findings"
    assert fixture_scan.errors == ()


def test_every_rule_has_a_fixture() -> None:
    covered = {rule for _, _, rule in expected_findings()}
    missing = sorted(set(scan_rules()) - covered)
    assert missing == [], f"rules without a fixture line: {missing}"


def test_every_rule_is_documented() -> None:
    text = DOC_PATH.read_text(encoding="utf-8")
    for rule in scan_rules().values():
        assert f"## {rule.id}" in text, f"{rule.id} missing from docs/rules.md"
        assert len(rule.docs.split()) >= 12, f"{rule.id} docs too short to explain anything"


def test_rules_doc_is_not_stale() -> None:
    assert DOC_PATH.read_text(encoding="utf-8") == rules_markdown(scan_rules()), (
        "docs/rules.md is stale: run python -m workeradvisor.scan.docgen"
    )


def test_transitive_chain_across_modules(fixture_scan) -> None:
    """The issue's case: async auth dependency -> bcrypt and sync SQLAlchemy two helper calls deep."""
    at = {(f.rule, f.line): f for f in fixture_scan.findings if f.path.endswith("authsvc/main.py")}
    bcrypt = at[("WA201", 13)]
    assert bcrypt.chain_text == ("current_user -> security.verify_user -> security.check_password"
                                 " -> bcrypt.checkpw (tests/fixtures/scan/authsvc/security.py:7)")
    assert bcrypt.chain[-1] == ChainSite("bcrypt.checkpw", "tests/fixtures/scan/authsvc/security.py", 7)
    assert bcrypt.chain[0] == ChainSite("current_user", "tests/fixtures/scan/authsvc/main.py", 13)
    assert bcrypt.function == "authsvc.main.current_user"
    db = at[("WA142", 13)]
    assert [c.symbol for c in db.chain[:3]] == ["current_user", "security.verify_user", "users.load_user"]
    assert db.symbol == "sqlalchemy.orm.Session.execute"


def test_max_depth_limits_the_chain(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    shallow = scan_paths([str(FIXTURES / "authsvc")], config=ScanConfig(), max_depth=1, jobs=1)
    assert not [f for f in shallow.findings if f.line == 13]  # bcrypt is 2 calls deep
    deep = scan_paths([str(FIXTURES / "authsvc")], config=ScanConfig(), max_depth=2, jobs=1)
    assert {f.rule for f in deep.findings if f.line == 13} == {"WA201", "WA142"}
    none = scan_paths([str(FIXTURES / "authsvc")], config=ScanConfig(), max_depth=0, jobs=1)
    assert none.findings == ()


def test_summary_and_routes(fixture_scan) -> None:
    s = fixture_scan.summary
    assert s.files_scanned == fixture_scan.files_scanned == len(list(FIXTURES.rglob("*.py")))
    assert (s.async_endpoints, s.sync_endpoints) == (24, 2)  # incl. Route tables, servedapp, caching.py
    assert dict(s.findings_by_category)["cpu-heavy"] == sum(f.category == "cpu-heavy" for f in fixture_scan.findings)
    routes = {(r.method, r.path): r for r in fixture_scan.routes}
    assert routes[("GET", "/v1/annotated/{item_id}")].has_path_params
    assert routes[("GET", "/sync")].is_async is False
    assert routes[("GET", "/me")].function == "authsvc.main.me"
    table = routes[("GET", "/users/{user_id}")]
    assert (table.file, table.is_async) == ("tests/fixtures/scan/starlette_app/views.py", True)
