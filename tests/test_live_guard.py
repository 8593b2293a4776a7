"""The fast/live split stays honest: a test not marked live that starts a process fails."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest_plugins = ["pytester"]

INNER = '''
import multiprocessing
import os
import subprocess
import sys

import pytest


def test_subprocess_run():
    subprocess.run([sys.executable, "-c", "pass"], check=False)


def test_swallowed_start_still_fails():
    try:
        subprocess.Popen(["true"])
    except BaseException:
        pass


def test_multiprocessing():
    multiprocessing.get_context("fork").Process(target=print).start()


def test_os_system():
    os.system("true")


@pytest.fixture(scope="module")
def server():
    return subprocess.Popen(["true"])


def test_module_fixture(server):
    pass


def test_in_process_only():
    assert sum(range(4)) == 6
'''


def test_unmarked_tests_that_start_processes_fail(pytester: pytest.Pytester) -> None:
    pytester.makeconftest((Path(__file__).parent / "conftest.py").read_text(encoding="utf-8"))
    pytester.makepyfile(test_inner=INNER)
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider", "--import-mode=importlib",
                                          "-o", "markers=live: starts a process")
    outcomes = result.parseoutcomes()
    assert outcomes.get("passed") == 1, result.stdout.str()
    assert outcomes.get("failed") == 4 and outcomes.get("errors") == 1, result.stdout.str()
    result.stdout.fnmatch_lines(["*test_swallowed_start_still_fails started a process (Popen._execute_child)*"])
    assert result.stdout.str().count("must be marked @pytest.mark.live") >= 1
