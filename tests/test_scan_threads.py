"""scan's native-thread claims (WA341, WA342) on small in-process projects: which code counts as
served, what silences the claim, when a literal setting is provably too high for the cores."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from workeradvisor.models.scan import Finding
from workeradvisor.nativethreads import assignment_of, limited, mention_of, setting_of
from workeradvisor.scan import scan_paths
from workeradvisor.scan.config import ScanConfig

APP = "from fastapi import FastAPI\n{imports}\napp = FastAPI()\n\n\n@app.get('/')\nasync def root():\n    return 1\n"


def _scan(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, files: dict[str, str], cores: int = 4,
          **kw: object) -> list[Finding]:
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr("workeradvisor.scan.engine.cpu_count", lambda: cores)
    result = scan_paths(["."], config=ScanConfig(), jobs=1, **kw)  # type: ignore[arg-type]
    return [f for f in result.findings if f.rule in ("WA341", "WA342")]


def _app(imports: str) -> str:
    return APP.format(imports=imports)


def test_numpy_in_an_app_without_a_limit_is_reported_with_the_cores(tmp_path, monkeypatch) -> None:
    found = _scan(tmp_path, monkeypatch, {"main.py": _app("import numpy as np")}, cores=6)
    assert [(f.rule, f.path, f.line, f.symbol, f.severity) for f in found] == [
        ("WA341", "main.py", 2, "numpy", "info")]
    assert "W x 6 threads on the 6 cores" in found[0].message and "OMP_NUM_THREADS=cores/workers" in found[0].fix
    assert (found[0].context, found[0].entry) == ("startup", "import main")


def test_one_finding_per_pool_and_app(tmp_path, monkeypatch) -> None:
    files = {"main.py": _app("import scipy\nimport numpy\nimport sklearn\nimport sentence_transformers\nimport torch")}
    found = _scan(tmp_path, monkeypatch, files)
    assert [(f.line, f.symbol) for f in found] == [(2, "scipy"), (5, "sentence_transformers")]  # BLAS, torch


def test_a_library_no_app_imports_tests_and_scripts_are_not_reported(tmp_path, monkeypatch) -> None:
    files = {"lib/__init__.py": "", "lib/embed.py": "import torch\n",  # a library: no app imports it
             "tests/test_x.py": "import numpy\nfrom fastapi import FastAPI\napp = FastAPI()\n"
                                "@app.get('/')\nasync def r():\n    return 1\n",
             "scripts/train.py": "import sklearn\n"}
    assert _scan(tmp_path, monkeypatch, files) == []


def test_the_import_graph_carries_served_code_to_a_package_module(tmp_path, monkeypatch) -> None:
    files = {"svc/__init__.py": "", "svc/main.py": _app("from svc import model"),
             "svc/model.py": "import onnxruntime\n\n\ndef unused():\n    import tokenizers\n"}
    found = _scan(tmp_path, monkeypatch, files)
    assert [(f.path, f.symbol) for f in found] == [("svc/model.py", "onnxruntime")]  # unused(): no entry reaches it
    assert "intra_op_num_threads" in found[0].fix


def test_type_checking_imports_and_cli_commands_are_not_served(tmp_path, monkeypatch) -> None:
    files = {"main.py": _app("from typing import TYPE_CHECKING\nimport cmds\nif TYPE_CHECKING:\n    import numpy\n"),
             "cmds.py": "import click\n\n\n@click.command()\ndef train():\n    import torch\n    return torch\n"}
    assert _scan(tmp_path, monkeypatch, files) == []


def test_a_router_module_is_part_of_the_app_that_imports_it(tmp_path, monkeypatch) -> None:
    router = "from fastapi import APIRouter\nimport numpy\nrouter = APIRouter()\n\n\n@router.get('/x')\n" \
             "async def x():\n    return 1\n"
    files = {"app/__init__.py": "", "app/main.py": _app("import numpy\nfrom app import users"),
             "app/users.py": router}
    found = _scan(tmp_path, monkeypatch, files)
    assert [(f.path, f.line) for f in found] == [("app/main.py", 2)]  # one app, one finding for numpy


@pytest.mark.parametrize("limit", [
    "import os\nos.environ['OMP_NUM_THREADS'] = str(os.cpu_count() // 2)\n",  # computed: silences, not guessed
    "import os\nos.environ.setdefault('OPENBLAS_NUM_THREADS', '1')\n",
    "from threadpoolctl import threadpool_limits\nthreadpool_limits(1)\n",
    "import subprocess\nsubprocess.run(['x'], env={'MKL_NUM_THREADS': '1'})\n",
])
def test_any_limit_anywhere_in_the_code_silences_the_default_claim(tmp_path, monkeypatch, limit: str) -> None:
    files = {"main.py": _app("import numpy"), "tools/limits.py": limit}
    assert _scan(tmp_path, monkeypatch, files) == []


def test_a_limit_for_another_library_does_not_silence_numpy(tmp_path, monkeypatch) -> None:
    files = {"main.py": _app("import os\nos.environ['TOKENIZERS_PARALLELISM'] = 'false'\nimport numpy\nimport torch\n"
                             "torch.set_num_threads(1)")}
    assert [f.symbol for f in _scan(tmp_path, monkeypatch, files)] == ["numpy"]


def test_a_literal_setting_above_the_cores_is_a_warning(tmp_path, monkeypatch) -> None:
    files = {"main.py": _app("import os\nos.environ['OMP_NUM_THREADS'] = '8'\nimport torch")}
    found = _scan(tmp_path, monkeypatch, files, cores=4)
    assert [(f.rule, f.line, f.symbol, f.severity) for f in found] == [("WA342", 3, "OMP_NUM_THREADS=8", "warning")]
    assert "asks for 8 compute threads per worker, more than the 4 cores this machine has (torch)" in found[0].message
    assert _scan(tmp_path, monkeypatch, {}, cores=8) == []  # the same code on 8 cores: within them


@pytest.mark.parametrize(("code", "why"), [
    ("import os\nos.environ.setdefault('OMP_NUM_THREADS', '64')\nimport torch", "setdefault: the deployment wins"),
    ("import os\nos.environ['OMP_NUM_THREADS'] = '64'\nimport torch\ntorch.set_num_threads(2)",
     "torch reads set_num_threads first"),
    ("import os\nos.environ['OMP_NUM_THREADS'] = '64'\nos.environ['OPENBLAS_NUM_THREADS'] = '1'\nimport numpy",
     "numpy reads OPENBLAS_NUM_THREADS first"),
    ("import os\nos.environ['OMP_NUM_THREADS'] = '64'\nimport tokenizers", "tokenizers does not read it"),
    ("import os\nos.environ['TOKENIZERS_PARALLELISM'] = 'true'\nimport tokenizers", "true is one per core, not more"),
    ("import os\nimport torch\nos.environ['OMP_NUM_THREADS'] = '64'", "set after the import: may be read already"),
    ("import os\nimport torch\n\n\ndef late():\n    os.environ['OMP_NUM_THREADS'] = '64'\n\n\nlate()\n",
     "set in a function, called after the import"),
])
def test_no_too_high_claim_unless_the_setting_is_in_force_and_above_the_cores(tmp_path, monkeypatch, code: str,
                                                                              why: str) -> None:
    assert [f.rule for f in _scan(tmp_path, monkeypatch, {"main.py": _app(code)})] in ([], ["WA341"]), why
    assert not [f for f in _scan(tmp_path, monkeypatch, {}) if f.rule == "WA342"], why


def test_two_values_of_one_setting_make_no_claim(tmp_path, monkeypatch) -> None:
    files = {"main.py": _app("import os\nos.environ['OMP_NUM_THREADS'] = '64'\nimport torch"),
             "worker.py": "import os\nos.environ['OMP_NUM_THREADS'] = '1'\n"}
    assert _scan(tmp_path, monkeypatch, files) == []


def test_noqa_and_rule_selection(tmp_path, monkeypatch) -> None:
    assert _scan(tmp_path, monkeypatch, {"main.py": _app("import numpy  # noqa: WA341")}) == []
    assert _scan(tmp_path, monkeypatch, {"main.py": _app("import numpy")}, select=("WA1",)) == []
    assert len(_scan(tmp_path, monkeypatch, {}, ignore=("WA342",))) == 1


def test_the_shared_reading_is_the_checks() -> None:
    """One home: the settings ``check`` reads are the ones ``scan`` reads (literal ones), and a
    computed value is a setting for ``scan``'s silencing but not a number for either."""
    tree = ast.parse("import os\nos.environ['OMP_NUM_THREADS'] = str(n)\nos.putenv('MKL_NUM_THREADS', '2')\n")
    nodes = list(ast.walk(tree))
    assert [s.name for n in nodes if (s := setting_of(n, "x.py"))] == ["MKL_NUM_THREADS"]
    assert [a[0] for n in nodes if (a := assignment_of(n))] == ["OMP_NUM_THREADS", "MKL_NUM_THREADS"]
    mentions = {m for n in nodes if (m := mention_of(n))}
    assert mentions == {"OMP_NUM_THREADS", "MKL_NUM_THREADS"}
    assert limited("numpy", mentions) and limited("torch", mentions) and not limited("onnxruntime", mentions)
