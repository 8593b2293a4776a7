"""Parsers as data: command lines, Dockerfiles, compose, Kubernetes, systemd, gunicorn.conf.py, units."""

from __future__ import annotations

import pytest

from workeradvisor.check.cmdline import apply_env, parse_shell
from workeradvisor.check.compose import parse_compose
from workeradvisor.check.dockerfile import parse_dockerfile
from workeradvisor.check.kubernetes import parse_kubernetes
from workeradvisor.check.pyconfigs import parse_gunicorn_conf, parse_uvicorn_calls
from workeradvisor.check.resolve import effective_workers, resolve
from workeradvisor.check.textconfigs import parse_systemd
from workeradvisor.check.units import parse_cpus, parse_memory


@pytest.mark.parametrize(("command", "server", "workers", "reload", "klass"), [
    ("uvicorn app:app --workers 4", "uvicorn", 4, False, ""),
    ("uvicorn app:app --workers=3 --reload", "uvicorn", 3, True, ""),
    ("python -m uvicorn app:app --reload=false", "uvicorn", None, False, ""),
    ("gunicorn -w4 -k uvicorn.workers.UvicornWorker app:app", "gunicorn", 4, False, "uvicorn.workers.UvicornWorker"),
    ("gunicorn --workers 2 --worker-class=uvicorn_worker.UvicornWorker app:app", "gunicorn", 2, False,
     "uvicorn_worker.UvicornWorker"),
    ("fastapi run main.py --workers 2", "fastapi", 2, False, ""),
    ("fastapi dev main.py", "fastapi", None, True, ""),
    ("hypercorn -w 3 -k uvloop app:app", "hypercorn", 3, False, "uvloop"),
    ("sh -c 'cd /srv && exec gunicorn -w 5 app:app'", "gunicorn", 5, False, ""),
    ("PORT=80 poetry run uvicorn app:app --workers 2", "uvicorn", 2, False, ""),
    ("/opt/venv/bin/uvicorn app:app --workers 6", "uvicorn", 6, False, ""),
])
def test_command_lines(command: str, server: str, workers: int | None, reload: bool, klass: str) -> None:
    proc = parse_shell(command, 1)
    assert proc is not None
    assert (proc.server, proc.workers, proc.reload, proc.worker_class) == (server, workers, reload, klass)


@pytest.mark.parametrize("command", [
    "gunicorn -w $((2 * $(nproc) + 1)) app:app",
    "gunicorn --workers=$(nproc) app:app",
    "uvicorn app:app --workers \"$(python -c 'import os; print(os.cpu_count())')\"",
    "gunicorn -w `nproc` app:app",
])
def test_container_blind_formulas_are_recognised_not_run(command: str) -> None:
    proc = parse_shell(command, 1)
    assert proc is not None and proc.workers is None and proc.formula


def test_unknown_programs_and_unbalanced_quotes() -> None:
    assert parse_shell("celery -A tasks worker", 1) is None
    with pytest.raises(ValueError):
        parse_shell("uvicorn 'app:app", 1)


def test_environment_precedence() -> None:
    proc = parse_shell("gunicorn app:app", 1)
    assert proc is not None
    assert apply_env(proc, {"WEB_CONCURRENCY": "3", "GUNICORN_CMD_ARGS": "-w 2 --reload"}) == "GUNICORN_CMD_ARGS"
    assert (proc.workers, proc.reload) == (2, True)
    proc = parse_shell("uvicorn app:app", 1)
    assert proc is not None and apply_env(proc, {"UVICORN_WORKERS": "4", "WEB_CONCURRENCY": "8"}) == "UVICORN_WORKERS"
    assert proc.workers == 4
    explicit = parse_shell("uvicorn app:app --workers 1", 1)
    assert explicit is not None and apply_env(explicit, {"WEB_CONCURRENCY": "8"}) == "" and explicit.workers == 1
    ref = parse_shell("uvicorn app:app --workers ${WEB_CONCURRENCY:-2}", 1, {"WEB_CONCURRENCY": "5"})
    assert ref is not None and ref.workers == 5
    k8s = parse_shell("uvicorn app:app --workers $(WORKERS)", 1, {"WORKERS": "3"})  # Kubernetes env expansion
    assert k8s is not None and k8s.workers == 3 and not k8s.formula
    unset = parse_shell("uvicorn app:app --workers $WORKERS", 1, {})
    assert unset is not None and unset.workers is None and effective_workers(unset) is None


def test_dockerfile_final_stage_entrypoint_plus_cmd_and_continuations() -> None:
    text = ('FROM python AS dev\nCMD ["uvicorn", "a:app", "--reload"]\nFROM python\nENV WEB_CONCURRENCY=3\n'
            'ENTRYPOINT ["uvicorn"]\nCMD ["a:app", \\\n     "--host", "0.0.0.0"]\n')
    units, problems = parse_dockerfile("Dockerfile", text)
    assert problems == []
    proc = units[0].process
    assert proc is not None and not proc.reload and proc.workers == 3 and proc.workers_env == "WEB_CONCURRENCY"


def test_dockerfile_unterminated_exec_form_names_the_line() -> None:
    _, problems = parse_dockerfile("Dockerfile", 'FROM python\n\nCMD ["uvicorn", "a:app"\n')
    assert len(problems) == 1 and problems[0].line == 3 and "exec-form" in problems[0].message


def test_compose_list_environment_lines_and_build_link() -> None:
    text = ("services:\n  api:\n    build: ./svc\n    environment:\n      - A=1\n      - WEB_CONCURRENCY=4\n"
            "    deploy:\n      replicas: 3\n      resources:\n        limits: {cpus: '0.5', memory: 1g}\n")
    units, problems = parse_compose("docker-compose.yml", text)
    unit = units[0]
    assert problems == [] and unit.env_lines["WEB_CONCURRENCY"] == 6 and unit.build_context == "svc/Dockerfile"
    assert (unit.cpu_limit, unit.mem_limit, unit.replicas) == (0.5, 1024**3, 3)
    image, _ = parse_dockerfile("svc/Dockerfile", 'FROM python\nCMD ["gunicorn", "app:app"]\n')
    judged = resolve(units + image)
    assert [u.kind for u in judged] == ["compose"]
    assert effective_workers(judged[0].process) == 4 and judged[0].process.workers_line == 6


def test_kubernetes_hpa_and_requests() -> None:
    text = ("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n  replicas: 2\n  template:\n"
            "    spec:\n      containers:\n        - name: c\n          args: [uvicorn, a:app, --workers, '2']\n"
            "          resources: {requests: {cpu: 250m}, limits: {cpu: '1', memory: 512Mi}}\n---\n"
            "apiVersion: autoscaling/v1\nkind: HorizontalPodAutoscaler\nmetadata: {name: web}\n"
            "spec: {scaleTargetRef: {name: web}, minReplicas: 2, maxReplicas: 5, targetCPUUtilizationPercentage: 60}\n")
    units, problems = parse_kubernetes("k.yaml", text)
    u = units[0]
    assert problems == [] and u.process is not None and u.process.workers == 2
    assert (u.cpu_request, u.cpu_limit, u.mem_limit, u.replicas) == (0.25, 1.0, 512 * 1024**2, 2)
    assert u.hpa == "2-5 replicas @ 60% CPU"


def test_systemd_quota_and_memory() -> None:
    units, _ = parse_systemd("a.service", "[Service]\nCPUQuota=150%\nMemoryMax=2G\nExecStart=/v/bin/uvicorn a:app\n")
    assert (units[0].cpu_limit, units[0].mem_limit) == (1.5, 2 * 1024**3)


def test_gunicorn_conf_is_parsed_not_executed(tmp_path) -> None:
    marker = tmp_path / "executed"
    text = f"open({str(marker)!r}, 'w').write('x')\nworkers = 3\nreload = False\n"
    units, problems = parse_gunicorn_conf("gunicorn.conf.py", text)
    assert problems == [] and units[0].process is not None and units[0].process.workers == 3
    assert not marker.exists()


def test_gunicorn_command_line_overrides_conf_file() -> None:
    conf, _ = parse_gunicorn_conf("gunicorn.conf.py", "workers = 8\nworker_class = 'uvicorn.workers.UvicornWorker'\n")
    image, _ = parse_dockerfile("Dockerfile", 'FROM python\nCMD ["gunicorn", "-w", "2", "app:app"]\n')
    resolve(image + conf)
    proc = image[0].process
    assert proc is not None and proc.workers == 2 and proc.worker_class == "uvicorn.workers.UvicornWorker"
    assert (proc.class_path, proc.class_line) == ("gunicorn.conf.py", 2)


def test_uvicorn_run_keywords_and_alias() -> None:
    text = "import uvicorn as u\nfrom uvicorn import run as go\nu.run('a:app', workers=2)\ngo('a:app', reload=True)\n"
    units, _ = parse_uvicorn_calls("m.py", text)
    assert [(u.process.workers, u.process.reload) for u in units if u.process] == [(2, False), (None, True)]
    text = "import uvicorn\nuvicorn.run('a:app', workers=2 * __import__('os').cpu_count() + 1)\n"
    units, _ = parse_uvicorn_calls("m.py", text)
    assert units[0].process is not None and units[0].process.formula


@pytest.mark.parametrize(("value", "cpus"), [("500m", 0.5), ("1.5", 1.5), (2, 2.0), ("${CPUS}", None)])
def test_cpus(value: object, cpus: float | None) -> None:
    assert parse_cpus(value) == cpus


@pytest.mark.parametrize(("value", "docker", "size"), [
    ("512Mi", False, 512 * 1024**2), ("1G", False, 10**9), ("1g", True, 1024**3), ("2GB", True, 2 * 1024**3),
    ("lots", False, None),
])
def test_memory(value: str, docker: bool, size: int | None) -> None:
    assert parse_memory(value, docker=docker) == size


def test_gunicorn_conf_reading_an_env_var_takes_the_deployment_value() -> None:
    conf_text = "import os\nworkers = int(os.environ.get('WEB_CONCURRENCY', 2))\n"
    conf, _ = parse_gunicorn_conf("gunicorn.conf.py", conf_text)
    compose_text = ("services:\n  web:\n    command: gunicorn -c gunicorn.conf.py a:app\n"
                    "    environment:\n      WEB_CONCURRENCY: '6'\n")
    compose, _ = parse_compose("docker-compose.yml", compose_text)
    resolve(compose + conf)
    proc = compose[0].process
    assert proc is not None and proc.workers == 6
    assert (proc.workers_path, proc.workers_line) == ("docker-compose.yml", 5)
    alone, _ = parse_gunicorn_conf("gunicorn.conf.py", "import os\nworkers = int(os.getenv('WEB_CONCURRENCY', '3'))\n")
    assert alone[0].process is not None and alone[0].process.workers == 3
