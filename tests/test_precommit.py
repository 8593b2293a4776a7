"""The README's pre-commit snippet, copied into a fresh repository, runs as written (issue 14).

The hook repository is a git repository made from this working tree (so the test checks the
hooks as they are now); the snippet's URL placeholder is the only substitution. pre-commit builds
the hook's virtualenv from the registry, so this is slow and marked live.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PRE_COMMIT = Path(sys.executable).with_name("pre-commit")

pytestmark = [
    pytest.mark.parallel,
    pytest.mark.live,
    pytest.mark.skipif(not PRE_COMMIT.exists() or shutil.which("git") is None, reason="needs pre-commit and git"),
]

GIT_ENV = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.invalid", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@example.invalid"}


def _git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, env={**os.environ, **GIT_ENV})


def readme_snippet() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    match = re.search(r"```yaml\n(# \.pre-commit-config\.yaml\n.*?)```", text, re.S)
    assert match, "README has no .pre-commit-config.yaml snippet"
    return match.group(1)


def _hook_repo(dest: Path) -> Path:
    """A git repository on branch ``main`` holding this working tree's tracked files."""
    files = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, check=True, capture_output=True).stdout
    for name in filter(None, files.decode().split("\0")):
        src = ROOT / name
        if src.is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / name)
    _git(dest, "init", "-q", "-b", "main")
    _git(dest, "add", "-A")
    _git(dest, "commit", "-q", "-m", "hooks")
    return dest


def _user_repo(dest: Path, config: str) -> Path:
    pkg = dest / "pkg"
    pkg.mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "net.py").write_text('import requests\n\n\ndef fetch():\n    return requests.get("http://x")\n')
    (pkg / "api.py").write_text("from pkg.net import fetch\n\n\nasync def handler():\n    return fetch()\n")
    (dest / ".pre-commit-config.yaml").write_text(config)
    _git(dest, "init", "-q", "-b", "main")
    _git(dest, "add", "-A")
    return dest


def _run(repo: Path, home: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, **GIT_ENV, "PRE_COMMIT_HOME": str(home)}
    return subprocess.run([str(PRE_COMMIT), "run", "--all-files"], cwd=repo, env=env, capture_output=True,
                          text=True, timeout=600)


def test_readme_snippet_runs_in_a_fresh_repository_and_honours_exclude(tmp_path: Path) -> None:
    hooks = _hook_repo(tmp_path / "hooks")
    snippet = readme_snippet()
    assert "<git URL of this repository>" in snippet
    config = snippet.replace("<git URL of this repository>", hooks.as_uri())
    home = tmp_path / "pre-commit-home"

    found = _run(_user_repo(tmp_path / "user", config), home)
    assert found.returncode == 1, found.stdout + found.stderr
    # The chain crosses modules: the finding is in api.py, reached through net.py.
    assert "pkg/api.py:5:12: WA101" in found.stdout, found.stdout
    # No deployment file in the commit (its own .pre-commit-config.yaml is not one): check is skipped.
    assert re.search(r"workeradvisor check\.+\(no files to check\)Skipped", found.stdout), found.stdout

    excluded = config.replace("      - id: workeradvisor         #",
                              "      - id: workeradvisor\n        exclude: ^pkg/api\\.py$\n        #")
    assert excluded != config
    quiet = _run(_user_repo(tmp_path / "user2", excluded), home)
    assert quiet.returncode == 0, quiet.stdout + quiet.stderr
    assert "WA101" not in quiet.stdout
