"""deploy/k8s/: the Kubernetes example parses, and master, workers and Secret agree."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

K8S = Path(__file__).resolve().parents[2] / "deploy" / "k8s"
SECRET = "authload-secrets"


def _documents() -> dict[tuple[str, str], dict[str, Any]]:
    found = {}
    for path in sorted(K8S.glob("*.yaml")):
        for document in yaml.safe_load_all(path.read_text()):
            found[(document["kind"], document["metadata"]["name"])] = document
    return found


def _container(document: dict[str, Any]) -> dict[str, Any]:
    containers = document["spec"]["template"]["spec"]["containers"]
    assert len(containers) == 1
    return dict(containers[0])


def _flag(args: list[str], name: str) -> str | None:
    return next((arg.split("=", 1)[1] for arg in args if arg.startswith(f"--{name}=")), None)


def test_master_and_workers_agree() -> None:
    docs = _documents()
    master = _container(docs[("Job", "authload-master")])
    workers = docs[("Deployment", "authload-worker")]
    worker = _container(workers)
    assert master["image"] == worker["image"]
    assert master["command"] == worker["command"] == ["python", "-m", "locust"]
    assert "--master" in master["args"] and "--worker" in worker["args"]
    assert _flag(master["args"], "expect-workers") == str(workers["spec"]["replicas"])
    service = docs[("Service", "authload-master")]
    assert _flag(worker["args"], "master-host") == service["metadata"]["name"]
    port = int(_flag(master["args"], "master-bind-port") or 0)
    assert port == int(_flag(worker["args"], "master-port") or 0) == service["spec"]["ports"][0]["port"]
    assert (
        service["spec"]["selector"]
        == docs[("Job", "authload-master")]["spec"]["template"]["metadata"]["labels"]
    )
    # The master reads the files it mounts from the ConfigMap.
    files = docs[("ConfigMap", "authload-files")]["data"]
    for flag in ("scenario", "env"):
        assert Path(_flag(master["args"], flag) or "").name in files


def test_keys_come_from_the_secret_only() -> None:
    docs = _documents()
    master = _container(docs[("Job", "authload-master")])
    worker = _container(docs[("Deployment", "authload-worker")])
    assert master["envFrom"] == [{"secretRef": {"name": SECRET}}]
    (run_key,) = worker["env"]
    assert run_key == {
        "name": "AUTHLOAD_RUN_KEY",
        "valueFrom": {"secretKeyRef": {"name": SECRET, "key": "AUTHLOAD_RUN_KEY"}},
    }
    assert ("Secret", SECRET) not in docs  # created with kubectl, never committed
    environment = yaml.safe_load(docs[("ConfigMap", "authload-files")]["data"]["staging.yaml"])
    for field in ("rest_api_key", "auth_key", "app_id"):
        assert re.fullmatch(r"\$\{[A-Z_]+(:-)?\}", environment[field]), field
    text = "\n".join(path.read_text() for path in K8S.glob("*.yaml"))
    assert not re.search(r"\b[0-9a-f]{40}\b", text), "a key-shaped literal"
    assert not re.search(r"(?i)(api_?key|auth_?key|run_key|token)\s*[:=]\s*['\"]?[A-Za-z0-9]{16,}", text)


def test_the_files_it_ships_validate(tmp_path: Path) -> None:
    from authload.scenario import load_environment, load_scenario

    files = _documents()[("ConfigMap", "authload-files")]["data"]
    (tmp_path / "scenario.yaml").write_text(files["scenario.yaml"])
    (tmp_path / "staging.yaml").write_text(files["staging.yaml"])
    assert load_scenario(tmp_path / "scenario.yaml").identities.count == 20_000
    environ = {"COMETCHAT_APP_ID": "app", "COMETCHAT_REST_API_KEY": "k" * 40}
    assert load_environment(tmp_path / "staging.yaml", environ=environ).name == "staging"
