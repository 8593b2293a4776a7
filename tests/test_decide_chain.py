"""Acceptance 1: a call chain travels as ``ChainSite`` data from the scan, through the profile's
runtime confirmation, into the decision and out through Markdown and JSON; nothing parses it back."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from decide_factories import env, ladder, profile

from workeradvisor.decide.engine import analyze_results
from workeradvisor.models import CallSite, ChainSite
from workeradvisor.models.readers import analysis_from_dict
from workeradvisor.profile.findings import confirmed, load_findings
from workeradvisor.report import analysis_json, analysis_markdown
from workeradvisor.scan import scan_paths

APP = '''
from fastapi import FastAPI
from app.db import fetch

app = FastAPI()


@app.get("/items")
async def items():
    return fetch()
'''
DB = '''
import time


def fetch():
    time.sleep(0.1)
    return []
'''


@pytest.fixture()
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "__init__.py").write_text("")
    (tmp_path / "app" / "main.py").write_text(APP)
    (tmp_path / "app" / "db.py").write_text(DB)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_chain_site_from_scan_to_markdown_and_json(project: Path) -> None:
    result = scan_paths(["app"], jobs=1)
    chained = [f for f in result.findings if f.chain]
    assert chained, [f.to_dict() for f in result.findings]
    finding = chained[0]
    sleep = ChainSite("time.sleep", "app/db.py", 6)
    assert finding.chain[-1] == sleep and finding.path == "app/main.py"

    # profile: the runtime blocking site is the inner end of the chain, confirmed by the data
    runtime_path = str(project / "app" / "db.py")
    rules = confirmed(runtime_path, 6, load_findings(result))
    assert rules == (finding.rule,)
    site = CallSite(runtime_path, 6, "fetch", 0.6, "blocking", rules)
    prof = profile(blocked=0.6, top_blocking=(site,))

    analysis = analyze_results(result, prof, (ladder(),), env())
    fix = next(a for a in analysis.recommendation.actions if a.kind == "fix-blocking")
    assert any("time.sleep (app/db.py:6)" in s.detail for s in fix.sites)
    md = analysis_markdown.render(analysis)
    assert "time.sleep (app/db.py:6)" in md

    doc = json.loads(analysis_json.render(analysis))
    sites = [f["chain_sites"] for f in doc["scan"]["findings"] if f["chain_sites"]][0]
    assert sites[-1] == {"symbol": "time.sleep", "path": "app/db.py", "line": 6}
    back = analysis_from_dict(doc)
    assert back.scan is not None and back.scan.findings == result.findings  # the chain reads back as data
