"""Native thread settings: which value a library runs with (env vs code precedence) and the arithmetic."""

from __future__ import annotations

from pathlib import Path

from tests.check_helpers import FIXTURES, RULES
from workeradvisor.check.engine import run_check
from workeradvisor.check.threads import effective_threads
from workeradvisor.check.threads_code import CodeThreads, Setting, read_file


def _code(text: str) -> CodeThreads:
    found = CodeThreads()
    read_file("app.py", text, found)
    return found


def test_code_reads_imports_and_literal_settings_only() -> None:
    found = _code(
        "import os\nimport numpy.linalg\nfrom torch import nn\n"
        "os.environ['OMP_NUM_THREADS'] = '3'\n"
        "os.environ.setdefault('MKL_NUM_THREADS', '2')\n"
        "os.environ['OPENBLAS_NUM_THREADS'] = str(os.cpu_count())\n"  # not a literal: not guessed
        "opts.intra_op_num_threads = 1\ntorch.set_num_threads(n)\n"
    )
    assert found.libraries == {"numpy": ("app.py", 2), "torch": ("app.py", 3)}
    assert [(s.name, s.value, s.line, s.overrides_env) for s in found.settings] == [
        ("OMP_NUM_THREADS", "3", 4, True), ("MKL_NUM_THREADS", "2", 5, False), ("intra_op_num_threads", "1", 7, True)]


def test_assignment_in_code_beats_the_environment_and_setdefault_does_not() -> None:
    env = {"OMP_NUM_THREADS": Setting("OMP_NUM_THREADS", "1", "Dockerfile", 4)}
    assigned = _code("import os\nos.environ['OMP_NUM_THREADS'] = '6'\n").settings
    defaulted = _code("import os\nos.environ.setdefault('OMP_NUM_THREADS', '6')\n").settings
    t = effective_threads("torch", env, assigned, cores=4)
    assert t is not None and (t.count, t.path, t.line) == (6, "app.py", 2)
    t = effective_threads("torch", env, defaulted, cores=4)
    assert t is not None and (t.count, t.path) == (1, "Dockerfile")
    t = effective_threads("torch", {}, defaulted, cores=4)  # nothing in the deployment: the default applies
    assert t is not None and t.count == 6


def test_library_specific_variable_wins_and_defaults_are_the_cores() -> None:
    env = {"OMP_NUM_THREADS": Setting("OMP_NUM_THREADS", "1", "x", 1),
           "OPENBLAS_NUM_THREADS": Setting("OPENBLAS_NUM_THREADS", "3", "x", 2)}
    t = effective_threads("numpy", env, [], cores=8)
    assert t is not None and (t.count, t.source) == (3, "OPENBLAS_NUM_THREADS=3")
    t = effective_threads("onnxruntime", env, [], cores=8)  # ORT's own pool ignores OMP_NUM_THREADS
    assert t is not None and (t.count, t.source) == (8, "default: one per core")
    tok = {"TOKENIZERS_PARALLELISM": Setting("TOKENIZERS_PARALLELISM", "false", "x", 1)}
    t = effective_threads("tokenizers", tok, [], cores=8)
    assert t is not None and t.count == 1
    assert effective_threads("numpy", {"OMP_NUM_THREADS": Setting("OMP_NUM_THREADS", "${N}", "x", 1)}, [], 8) is None


def test_the_message_gives_the_numbers_and_the_fix(monkeypatch) -> None:
    monkeypatch.chdir(FIXTURES / "threads" / "compose_bad")
    (finding,) = run_check(Path("."), RULES, lambda: 2).findings
    assert "4 workers x 8 torch threads each (OMP_NUM_THREADS=8) = 32 compute threads on 4 CPU" in finding.message
    assert finding.fix.startswith("set OMP_NUM_THREADS=1 (cores / workers = 4 / 4) and torch.set_num_threads(1)")


def test_more_cores_make_the_same_setting_fit(monkeypatch) -> None:
    monkeypatch.chdir(FIXTURES / "threads" / "dockerfile_bad")  # 2 workers x OMP_NUM_THREADS=4, no CPU limit
    assert [f.rule for f in run_check(Path("."), RULES, lambda: 2).findings] == ["WA530"]
    assert run_check(Path("."), RULES, lambda: 8).findings == ()
