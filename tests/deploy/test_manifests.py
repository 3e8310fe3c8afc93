"""The deployment files: the Dockerfile, compose.yaml and deploy/k8s, checked offline (Kubernetes schemas
by kubernetes-validate, strict: unknown fields are errors)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml
from pydantic import SecretStr

from bot.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "deploy" / "k8s"
KUBERNETES = "1.30.0"


def manifests() -> dict[str, dict[str, Any]]:
    """The resources kustomization.yaml lists, by kind/name; every other file there must be listed."""
    kustomization = yaml.safe_load((K8S / "kustomization.yaml").read_text())
    listed = set(kustomization["resources"])
    assert listed == {p.name for p in K8S.glob("*.yaml")} - {"kustomization.yaml"}
    found = {}
    for name in sorted(listed):
        for doc in yaml.safe_load_all((K8S / name).read_text()):
            found[f"{doc['kind']}/{doc['metadata']['name']}"] = doc
    return found


def credentials() -> set[str]:
    """The environment names of every secret setting `serve` can use, and DATABASE_URL (with a password)."""
    names = {"DATABASE_URL"}
    for field in Settings.model_fields.values():
        if field.annotation == SecretStr | None and field.validation_alias is not None:
            names.add(field.validation_alias.choices[0])  # type: ignore[union-attr]
    names.discard("SLACK_APP_TOKEN")  # Socket Mode only; the deployment serves HTTP
    return names


@pytest.mark.parametrize("key", sorted(manifests()))
def test_each_manifest_is_valid_for_kubernetes(key: str) -> None:
    kubernetes_validate.validate(manifests()[key], KUBERNETES, strict=True)


def test_two_replicas_that_wait_for_the_migration_job() -> None:
    found = manifests()
    deployment = found["Deployment/logdive"]
    pod = deployment["spec"]["template"]["spec"]
    assert deployment["spec"]["replicas"] == 2
    assert "logdive db check" in " ".join(pod["initContainers"][0]["command"])
    [server] = pod["containers"]
    assert server["args"][0] == "serve"
    assert server["readinessProbe"]["httpGet"]["path"] == "/healthz"
    assert pod["securityContext"]["runAsNonRoot"] is True
    job = found["Job/logdive-migrate"]["spec"]["template"]["spec"]
    assert job["containers"][0]["args"] == ["db", "upgrade"]
    labels = deployment["spec"]["template"]["metadata"]["labels"]
    for selector in (
        found["Service/logdive"]["spec"]["selector"],
        found["PodDisruptionBudget/logdive"]["spec"]["selector"]["matchLabels"],
        found["NetworkPolicy/logdive"]["spec"]["podSelector"]["matchLabels"],
    ):
        assert selector.items() <= labels.items()
    assert found["PodDisruptionBudget/logdive"]["spec"]["minAvailable"] == 1


def test_every_credential_comes_from_a_secret() -> None:
    found = manifests()
    pod = found["Deployment/logdive"]["spec"]["template"]["spec"]
    env = {e["name"]: e for e in pod["containers"][0]["env"]}
    needed = credentials()
    assert needed >= {
        "SLACK_BOT_TOKEN",
        "SLACK_SIGNING_SECRET",
        "GITLAB_TOKEN",
        "LOGDIVE_GITLAB_WEBHOOK_SECRET",
    }
    for name in sorted(needed):
        assert "secretKeyRef" in env[name]["valueFrom"], name
        assert "value" not in env[name], name
    config = found["ConfigMap/logdive-config"]["data"]
    assert not needed & set(config), "a credential in the ConfigMap"
    job_env = found["Job/logdive-migrate"]["spec"]["template"]["spec"]["containers"][0]["env"]
    assert [e["name"] for e in job_env] == ["DATABASE_URL"] and "secretKeyRef" in job_env[0]["valueFrom"]


def test_the_network_policy_lets_out_only_dns_the_database_and_https() -> None:
    policy = manifests()["NetworkPolicy/logdive"]["spec"]
    assert set(policy["policyTypes"]) == {"Ingress", "Egress"}
    ports = {(p["port"], p["protocol"]) for rule in policy["egress"] for p in rule["ports"]}
    assert ports == {(53, "UDP"), (53, "TCP"), (5432, "TCP"), (443, "TCP")}
    public = next(r for r in policy["egress"] if any("ipBlock" in t for t in r["to"]))
    assert "10.0.0.0/8" in public["to"][0]["ipBlock"]["except"]  # nothing inside the network over 443
    assert {p["port"] for rule in policy["ingress"] for p in rule["ports"]} == {3000}


def test_the_image_is_slim_non_root_health_checked_and_does_not_migrate() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    bases = re.findall(r"^FROM (\S+)", dockerfile, re.MULTILINE)
    assert all(base.endswith("-slim") for base in bases)
    user = re.findall(r"^USER (\S+)", dockerfile, re.MULTILINE)[-1]
    assert user.split(":")[0] not in ("0", "root")
    assert re.search(r"^HEALTHCHECK .*\n?.*/healthz", dockerfile, re.MULTILINE)
    assert 'ENTRYPOINT ["logdive"]' in dockerfile and 'CMD ["serve"' in dockerfile
    assert "db upgrade" not in "".join(re.findall(r"^RUN .*", dockerfile, re.MULTILINE))


def test_compose_runs_the_migration_once_then_two_replicas_on_postgresql() -> None:
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text())
    services = compose["services"]
    assert services["postgres"]["image"].startswith("postgres:")
    assert services["migrate"]["command"] == ["db", "upgrade"]
    assert services["migrate"]["depends_on"]["postgres"]["condition"] == "service_healthy"
    server = services["logdive"]
    assert server["deploy"]["replicas"] == 2
    assert server["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    assert server["environment"]["DATABASE_URL"].startswith("postgresql+psycopg://")
    for name in credentials():
        assert "${" in server["environment"][name], name  # from the environment, never written here
