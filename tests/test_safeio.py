"""safeio in-process: what is refused (FIFO, device, socket, directory, size, alias bomb, depth, NaN)
and that ordinary input still reads. The FIFO cases run under an alarm so a regression fails
instead of hanging the suite."""

from __future__ import annotations

import os
import signal
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from workeradvisor import safeio
from workeradvisor.errors import ConfigError


def alias_bomb(levels: int = 9, prefix: str = "") -> str:
    """The classic "billion laughs": 9 aliases of 9 aliases ... ~440 bytes, 9**9 nodes expanded."""
    lines = [prefix + 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    prev = "a"
    for name in "bcdefghijklmnop"[: levels - 1]:
        lines.append(f"{name}: &{name} [" + ",".join([f"*{prev}"] * 9) + "]")
        prev = name
    return "\n".join(lines) + "\n"


@pytest.fixture
def alarm() -> Iterator[None]:
    def timeout(*_: object) -> None:
        raise TimeoutError("blocked: the read waited on a FIFO")

    old = signal.signal(signal.SIGALRM, timeout)
    signal.alarm(10)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, old)


def test_regular_file_reads(tmp_path: Path) -> None:
    path = tmp_path / "spec.yaml"
    path.write_text("requests: [{path: /}]\n", encoding="utf-8")
    assert safeio.read_bounded(path, "request spec", safeio.MAX_CONFIG_FILE) == "requests: [{path: /}]\n"


def test_fifo_is_refused_without_blocking(tmp_path: Path, alarm: None) -> None:
    fifo = tmp_path / "Dockerfile"
    os.mkfifo(fifo)
    with pytest.raises(ConfigError, match=r"Dockerfile: it is a FIFO \(named pipe\), not a regular file"):
        safeio.read_bounded(fifo, "deployment file", safeio.MAX_DEPLOYMENT_FILE)


def test_dev_zero_symlink_is_a_character_device(tmp_path: Path) -> None:
    link = tmp_path / "Dockerfile"
    link.symlink_to("/dev/zero")
    with pytest.raises(ConfigError, match="it is a character device, not a regular file"):
        safeio.read_bounded(link, "deployment file", safeio.MAX_DEPLOYMENT_FILE)


def test_directory_and_socket_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="it is a directory"):
        safeio.read_bounded(tmp_path, "decision file", safeio.MAX_CONFIG_FILE)
    sock_path = tmp_path / "s.yaml"
    with socket.socket(socket.AF_UNIX) as sock:
        sock.bind(str(sock_path))
        with pytest.raises(ConfigError, match="it is a socket, not a regular file"):
            safeio.read_bounded(sock_path, "decision file", safeio.MAX_CONFIG_FILE)


def test_size_cap_and_missing_file(tmp_path: Path) -> None:
    big = tmp_path / "big.yaml"
    big.write_bytes(b"#" * 2049)
    with pytest.raises(ConfigError, match="2049 bytes is over the 2048 bytes limit for a request spec"):
        safeio.read_bounded(big, "request spec", 2048)
    assert len(safeio.read_bounded(big, "request spec", 2049)) == 2049
    with pytest.raises(ConfigError, match="cannot read request spec .*nope.yaml: No such file"):
        safeio.read_bounded(tmp_path / "nope.yaml", "request spec", 2048)


def test_not_utf8_is_one_line(tmp_path: Path) -> None:
    path = tmp_path / "x.yaml"
    path.write_bytes(b"a: \xff\n")
    with pytest.raises(ConfigError, match=r"not UTF-8 text \(byte 3\)"):
        safeio.read_bounded(path, "rule file", 100)
    assert safeio.read_bounded(path, "rule file", 100, errors="replace") == "a: \ufffd\n"


def test_alias_bomb_is_refused_by_the_budget() -> None:
    text = alias_bomb()
    assert len(text) < 500
    with pytest.raises(ConfigError, match="aliases expand to more than 100000 nodes"):
        safeio.load_yaml(text, "x.yaml")
    with pytest.raises(ConfigError, match="line 8: malformed YAML: aliases expand"):
        safeio.load_yaml_documents("kind: x\n---\n" + text, "k.yaml")


def test_ordinary_aliases_and_merge_keys_still_load() -> None:
    text = "x-base: &base {image: app, environment: {A: '1'}}\nservices:\n  web: {<<: *base, command: run}\n"
    data = safeio.load_yaml(text, "compose")
    assert data["services"]["web"] == {"image": "app", "environment": {"A": "1"}, "command": "run"}
    assert safeio.load_yaml(alias_bomb(levels=4), "x")["d"][0][0][0] == ["lol"] * 9  # 9**4 nodes: allowed


def test_recursive_alias_and_depth_are_refused() -> None:
    with pytest.raises(ConfigError, match=r"recursive alias \*a"):
        safeio.load_yaml("a: &a [1, *a]\n", "x")
    with pytest.raises(ConfigError, match="nested deeper than 100 levels"):
        safeio.load_yaml("[" * 500 + "]" * 500, "x")
    with pytest.raises(ConfigError, match="malformed YAML: .*nest"):  # libyaml's own limit may speak first
        safeio.load_yaml("a:\n" + "- " * 50_000 + "x\n", "x")
    assert safeio.load_yaml("[" * 100 + "]" * 100, "x") is not None


def test_python_tags_stay_refused() -> None:
    with pytest.raises(ConfigError, match="malformed YAML"):
        safeio.load_yaml("!!python/object/apply:os.system ['true']\n", "x")


def test_multi_document_stream() -> None:
    assert safeio.load_yaml_documents("a: 1\n---\nb: 2\n---\n", "k") == [{"a": 1}, {"b": 2}, None]
    with pytest.raises(ConfigError, match="malformed YAML"):
        safeio.load_yaml("a: 1\n---\nb: 2\n", "single")


@pytest.mark.parametrize("text, message", [
    ('{"thresholds": {"io_bound_ratio": NaN}}', r"\$\.thresholds\.io_bound_ratio: non-finite number nan"),
    ('{"stages": [{"rps": 1e400}]}', r"\$\.stages\[0\]\.rps: non-finite number inf"),
    ('[-Infinity]', r"\$\[0\]: non-finite number -inf"),
    ("[" * 50_000 + "]" * 50_000, "nested deeper than 100 levels"),
    ("[" * 150 + "]" * 150, "nested deeper than 100 levels"),
    ('{"n": 1' + "0" * 5000 + "}", "unusable JSON"),
    ('{"a": ', "not JSON: line 1 column 7"),
])
def test_json_refusals_name_the_problem(text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message) as info:
        safeio.load_json(text, "--scan s.json")
    assert "\n" not in str(info.value)


def test_json_within_limits_loads() -> None:
    assert safeio.load_json('{"a": [1.5, {"b": null}]}', "x") == {"a": [1.5, {"b": None}]}
    assert safeio.load_json("[" * 100 + "]" * 100, "x") is not None
