"""Fuzz every YAML reader in-process (issue 12, item 8): check's deployment files, the request spec,
the decision file and rule files. Mutated real files and random documents may produce findings or
documented errors (WorkerAdvisorError, or a ParseProblem for check), never anything else."""

from __future__ import annotations

from pathlib import Path

import yaml
from hypothesis import given
from hypothesis import strategies as st

from tests.fuzz_helpers import FUZZ, ROOT, json_values, mutated, only_documented_errors, run_cli, scratch
from tests.test_safeio import alias_bomb
from workeradvisor import procs
from workeradvisor.check.engine import run_check
from workeradvisor.decide.tree import load_decision_tree
from workeradvisor.load.spec import load_spec
from workeradvisor.rulebook import load_rule_file, load_rules

YAML_ALPHABET = " \n-:[]{},&*!|>'\"#%@`?~0123456789abkx.\t\\"
CHECK_FILES = ("docker-compose.yml", "deploy.yaml", "serve.yaml", "Dockerfile", "Procfile", "web.service",
               "gunicorn.conf.py")
_fixtures = sorted(p for p in (ROOT / "tests/fixtures/check").rglob("*") if p.is_file() and p.suffix != ".md")
DEPLOY_SEEDS = [p.read_text(encoding="utf-8") for p in _fixtures if p.stat().st_size < 20_000][:60] + [
    alias_bomb(), "apiVersion: v1\nkind: Deployment\n" + alias_bomb(levels=6), "a: &a [1, *a]\n", "[" * 300]
SPEC_SEEDS = ["requests:\n  - {path: /items/{counter}, method: POST, json: {a: 1, b: [1, 2]}, weight: 2}\n"
              "  - {path: /, headers: {X-A: b}}\nheaders: {Accept: '*/*'}\n",
              "x: &x {q: 1}\nrequests: [{path: /, json: *x}, {path: /b, body: hi, method: put}]\n",
              alias_bomb() + "requests: [{path: /, json: *i}]\n"]
DECISION_SEEDS = [(ROOT / "rules/decision.yaml").read_text(encoding="utf-8"),
                  "thresholds: {io_bound_ratio: .nan, cpu_bound_ratio: 0.5}\n",
                  "thresholds: {}\nstart: a\nnodes:\n  a: {branches: [{label: x, workers: [4, 1], goto: done}]}\n"]
RULE_SEEDS = [(ROOT / "rules" / name).read_text(encoding="utf-8")[:3000] for name in ("check.yaml", "scan_cpu.yaml")]


def yaml_texts(seeds: list[str]) -> st.SearchStrategy[str]:
    dumped = json_values(["services", "command", "apiVersion", "kind", "spec", "requests", "path", "json",
                          "thresholds", "nodes", "rules", "applications", "deployments"])
    return st.one_of(mutated(seeds, YAML_ALPHABET), st.text(alphabet=YAML_ALPHABET, max_size=200),
                     dumped.map(lambda v: yaml.safe_dump(v, allow_unicode=True)))


_RULES = load_rules()


@FUZZ
@given(name=st.sampled_from(CHECK_FILES), text=yaml_texts(DEPLOY_SEEDS))
def test_check_deployment_files(name: str, text: str) -> None:
    with scratch() as root:
        (root / name).write_text(text, encoding="utf-8", errors="surrogatepass")
        report = run_check(root, _RULES, procs.this_process_cpu_count)  # never raises: problems are data
        assert all("\n" not in str(p) for p in report.problems)


@FUZZ
@given(text=yaml_texts(DEPLOY_SEEDS))
def test_check_cli_in_process(text: str) -> None:
    with scratch() as root:
        (root / "docker-compose.yml").write_text(text, encoding="utf-8")
        run_cli("check", str(root), "--no-scan", "--format", "json")


@FUZZ
@given(text=yaml_texts(SPEC_SEEDS))
def test_request_spec(text: str) -> None:
    with scratch() as root:
        (root / "spec.yaml").write_text(text, encoding="utf-8")
        only_documented_errors(lambda: load_spec(str(root / "spec.yaml")))


@FUZZ
@given(text=yaml_texts(DECISION_SEEDS))
def test_decision_file(text: str) -> None:
    with scratch() as root:
        (root / "decision.yaml").write_text(text, encoding="utf-8")
        only_documented_errors(lambda: load_decision_tree(root / "decision.yaml"))


@FUZZ
@given(text=yaml_texts(RULE_SEEDS))
def test_rule_file(text: str) -> None:
    with scratch() as root:
        (root / "rules.yaml").write_text(text, encoding="utf-8")
        only_documented_errors(lambda: load_rule_file(Path(root / "rules.yaml")))
