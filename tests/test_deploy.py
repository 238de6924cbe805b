"""deploy/: the files Docker would use (there is no Docker engine here) hold together with what
CI runs: the Dockerfile runs only commands the suite runs too, every file it copies is let
through its ignore file, compose fills in exactly the nginx placeholders, and its commands parse.
Running the topology itself is tests/test_cluster.py."""

from __future__ import annotations

import json
import re
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest

from aiwatch.__main__ import COMMANDS, make_parser
from tests.conftest import ROOT

DEPLOY = ROOT / "deploy"
PLACEHOLDERS = {"AIWATCH_LISTEN", "AIWATCH_UPSTREAM"}


def dockerfile_instructions() -> list[tuple[str, str]]:
    text = (DEPLOY / "Dockerfile").read_text().replace("\\\n", " ")
    rows = [line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    return [(r.split(None, 1)[0].upper(), r.split(None, 1)[1] if " " in r else "") for r in rows]


def commands_in(text: str) -> list[list[str]]:
    """Shell commands in a RUN / CMD (exec or shell form), split on &&."""
    if text.startswith("["):
        return [json.loads(text)]
    return [shlex.split(part) for part in text.split("&&")]


def test_the_dockerfile_runs_only_what_ci_runs():
    seen = []
    for op, arg in dockerfile_instructions():
        if op == "HEALTHCHECK":
            arg = arg.split(" CMD ", 1)[1]
        if op not in ("RUN", "CMD", "HEALTHCHECK"):
            continue
        for cmd in commands_in(arg):
            seen.append(cmd)
            if cmd[:3] == ["python", "-m", "aiwatch"]:
                assert cmd[3] in COMMANDS, cmd
                make_parser().parse_args(cmd[3:])  # the options exist
            elif cmd[:4] == ["python", "-m", "pip", "install"]:
                assert cmd[4:] == ["-r", "requirements.txt"]  # what `make` installs, pinned
            elif cmd[:2] == ["python", "scripts/health.py"]:
                assert "health.py" in (ROOT / "deploy" / "local-cluster.sh").read_text()
            else:  # creating the unprivileged user and its folders
                assert cmd[0] in ("useradd", "mkdir", "chown"), cmd
    assert ["python", "-m", "aiwatch", "serve"] in seen and ["python", "-m", "aiwatch", "build"] in seen
    ops = dict(dockerfile_instructions())
    assert ops["FROM"].startswith("python:3.11-slim") and ops["USER"] == "aiwatch"
    assert json.loads(ops["VOLUME"]) == ["/data", "/state"]
    assert "/_stcore/health" in (ROOT / "scripts" / "health.py").read_text()


def test_every_file_the_image_copies_exists_and_passes_the_ignore_file():
    allowed = [line[1:].rstrip("/") for line in (DEPLOY / "Dockerfile.dockerignore").read_text().splitlines()
               if line.startswith("!")]
    for op, arg in dockerfile_instructions():
        if op != "COPY":
            continue
        sources = [a for a in shlex.split(arg) if not a.startswith("--")][:-1]
        for src in sources:
            assert (ROOT / src).exists(), src
            assert src.rstrip("/") in allowed, f"{src} is copied but not let through the ignore file"


def test_nginx_placeholders_are_filled_in_by_compose_and_the_local_cluster():
    conf = (DEPLOY / "nginx.conf").read_text()
    assert set(re.findall(r"\$\{(\w+)\}", conf)) == PLACEHOLDERS
    compose = (DEPLOY / "compose.yaml").read_text()
    for name in PLACEHOLDERS:
        assert re.search(rf"^\s+{name}: ", compose, re.M), name
        assert f"s|\\${{{name}}}|" in (DEPLOY / "local-cluster.sh").read_text(), name
    assert "./nginx.conf:/etc/nginx/templates/default.conf.template" in compose


def test_compose_runs_replicas_without_refresh_and_one_refresher():
    compose = (DEPLOY / "compose.yaml").read_text()
    commands = [json.loads(c) for c in re.findall(r"^\s+command: (\[.*\])$", compose, re.M)]
    assert commands == [["python", "-m", "aiwatch", "serve", "--no-refresh"],
                        ["python", "-m", "aiwatch", "serve", "--refresh-only"]]
    for cmd in commands:
        make_parser().parse_args(cmd[3:])
    assert "dockerfile: deploy/Dockerfile" in compose and "replicas: ${AIWATCH_REPLICAS:-2}" in compose


@pytest.mark.skipif(not (shutil.which("nginx") or Path("/usr/sbin/nginx").exists()), reason="no nginx")
def test_nginx_accepts_the_config_with_its_placeholders_filled_in(tmp_path):
    # compose's value, with an address for `app` (nginx resolves names when it loads the config)
    upstream = re.search(r'AIWATCH_UPSTREAM: "(.*)"', (DEPLOY / "compose.yaml").read_text())[1]
    site = (DEPLOY / "nginx.conf").read_text().replace("${AIWATCH_LISTEN}", "127.0.0.1:1") \
        .replace("${AIWATCH_UPSTREAM}", upstream.replace("app:8501", "127.0.0.1:3"))
    (tmp_path / "site.conf").write_text(site)
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path}/nginx.pid; error_log {tmp_path}/error.log; events {{}}\n"
        f"http {{ access_log off; include {tmp_path}/site.conf; }}\n")
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    r = subprocess.run([nginx, "-t", "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf"),
                        "-e", str(tmp_path / "error.log")], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
