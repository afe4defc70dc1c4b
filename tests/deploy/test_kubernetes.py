"""The Kubernetes manifests as kustomize renders them (`kubectl kustomize deploy/kubernetes`),
validated against the Kubernetes schemas (kubernetes-validate, strict: unknown fields are
errors), and reviewed: resources, a locked-down security context, disruption budgets,
autoscalers, no metrics port in a Service that can be published (the edge, the console), a
headless metrics Service, and an image that is a real, configurable name."""

from __future__ import annotations

import copy
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml
from kubernetes_validate import utils as kv_utils

from tests.deploy.tools import DEPLOY, require_binary

KUSTOMIZE_DIR = DEPLOY / "kubernetes"
SERVICES = ("handoff", "sentiment", "router", "console")
HTTP_PORTS = {"handoff": 8080, "sentiment": 8081, "router": 8082, "console": 8083}
# The oldest Kubernetes the schemas cover (1.25: policy/v1 and autoscaling/v2 are GA there)
# and the newest.
VERSIONS = (kv_utils.all_versions()[0], kv_utils.latest_version())


def render(directory: Path) -> list[dict[str, Any]]:
    kubectl = require_binary("kubectl", "kubernetes-client")
    result = subprocess.run(
        [kubectl, "kustomize", str(directory)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return [d for d in yaml.safe_load_all(result.stdout) if d]


@pytest.fixture(scope="module")
def rendered() -> list[dict[str, Any]]:
    return render(KUSTOMIZE_DIR)


def of_kind(docs: list[dict[str, Any]], kind: str) -> dict[str, dict[str, Any]]:
    return {d["metadata"]["name"]: d for d in docs if d["kind"] == kind}


def test_kustomize_renders_every_service(rendered: list[dict[str, Any]]) -> None:
    kinds = sorted((d["kind"], d["metadata"]["name"]) for d in rendered)
    expected = [
        ("Service", "rapport-edge"),
        ("Service", "rapport-console"),
        ("Service", "rapport-metrics"),
    ] + [
        (kind, f"rapport-{s}")
        for kind in ("Deployment", "HorizontalPodAutoscaler", "PodDisruptionBudget")
        for s in SERVICES
    ]
    assert kinds == sorted(expected)


@pytest.mark.parametrize("version", VERSIONS)
def test_the_rendered_manifests_validate_against_the_schemas(
    rendered: list[dict[str, Any]], version: str
) -> None:
    for doc in rendered:
        try:
            kubernetes_validate.validate(doc, version, strict=True)
        except kubernetes_validate.ValidationError as exc:
            pytest.fail(f"{doc['kind']}/{doc['metadata']['name']} ({version}): {exc.message}")


def test_the_validation_catches_a_mistake(rendered: list[dict[str, Any]]) -> None:
    """Strict validation is not a rubber stamp: a misspelt field fails it."""
    deployment = copy.deepcopy(of_kind(rendered, "Deployment")["rapport-router"])
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    container["resource"] = container.pop("resources")
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, VERSIONS[-1], strict=True)


def containers(rendered: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    found = {}
    for name, deployment in of_kind(rendered, "Deployment").items():
        [container] = deployment["spec"]["template"]["spec"]["containers"]
        found[name] = container
    return found


def test_each_service_runs_with_probes_and_its_own_command(rendered: list[dict[str, Any]]) -> None:
    for name, container in containers(rendered).items():
        assert container["command"] == [name]
        assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
        assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
        env = {e["name"]: e for e in container["env"]}
        assert env["RAPPORT_ENV"]["value"] == "production"
        assert env["RAPPORT_CONSUMER_NAME"]["valueFrom"]["fieldRef"]["fieldPath"] == (
            "metadata.name"
        )


def test_every_container_has_requests_and_limits(rendered: list[dict[str, Any]]) -> None:
    for name, container in containers(rendered).items():
        resources = container["resources"]
        for kind in ("requests", "limits"):
            assert {"cpu", "memory"} <= set(resources[kind]), f"{name}: {kind}"


def test_pods_run_locked_down(rendered: list[dict[str, Any]]) -> None:
    for name, deployment in of_kind(rendered, "Deployment").items():
        pod = deployment["spec"]["template"]["spec"]
        assert pod["securityContext"]["runAsNonRoot"] is True, name
        assert pod["securityContext"]["runAsUser"] > 0, name
        assert pod["securityContext"]["seccompProfile"]["type"] == "RuntimeDefault", name
        assert pod["automountServiceAccountToken"] is False, name
        [container] = pod["containers"]
        context = container["securityContext"]
        assert context["readOnlyRootFilesystem"] is True, name
        assert context["allowPrivilegeEscalation"] is False, name
        assert context["capabilities"]["drop"] == ["ALL"], name
        # A read-only root still needs a writable /tmp (tempfile, the language model's cache).
        mounts = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
        volumes = {v["name"]: v for v in pod["volumes"]}
        assert "emptyDir" in volumes[mounts["/tmp"]], name


def test_the_image_user_is_the_one_the_pods_run_as(rendered: list[dict[str, Any]]) -> None:
    dockerfile = (DEPLOY / "Dockerfile").read_text()
    uid = int(re.search(r"useradd [^\n]*--uid (\d+)", dockerfile).group(1))
    for deployment in of_kind(rendered, "Deployment").values():
        assert deployment["spec"]["template"]["spec"]["securityContext"]["runAsUser"] == uid


def test_each_deployment_has_a_disruption_budget_and_an_autoscaler(
    rendered: list[dict[str, Any]],
) -> None:
    budgets = of_kind(rendered, "PodDisruptionBudget")
    autoscalers = of_kind(rendered, "HorizontalPodAutoscaler")
    for name, deployment in of_kind(rendered, "Deployment").items():
        labels = deployment["spec"]["template"]["metadata"]["labels"]
        assert budgets[name]["spec"]["selector"]["matchLabels"].items() <= labels.items()
        assert budgets[name]["spec"]["minAvailable"] == 1
        hpa = autoscalers[name]["spec"]
        assert hpa["scaleTargetRef"] == {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "name": name,
        }
        # Keeps the budget satisfiable: one pod may go while another serves.
        assert hpa["minReplicas"] >= 2
        assert hpa["maxReplicas"] > hpa["minReplicas"]
        [metric] = hpa["metrics"]
        assert metric["resource"]["name"] == "cpu"
        # The autoscaler owns the count: a replicas field would fight it on every apply.
        assert "replicas" not in deployment["spec"], name


def test_no_metrics_port_in_the_public_services(rendered: list[dict[str, Any]]) -> None:
    services = of_kind(rendered, "Service")
    edge, console = services["rapport-edge"], services["rapport-console"]
    assert edge["spec"]["selector"] == {"app": "rapport", "component": "handoff"}
    assert console["spec"]["selector"] == {"app": "rapport", "component": "console"}
    for service in (edge, console):
        assert [p["targetPort"] for p in service["spec"]["ports"]] == ["http"]
        assert service["spec"].get("type", "ClusterIP") == "ClusterIP"
        assert not any("metrics" in str(p.get("name", "")) for p in service["spec"]["ports"])
    for name, container in containers(rendered).items():
        component = name.removeprefix("rapport-")
        ports = {p["name"]: p["containerPort"] for p in container["ports"]}
        # The HTTP port (probes, the edge's webhooks) and the internal metrics port apart.
        assert ports == {"http": HTTP_PORTS[component], "metrics": HTTP_PORTS[component] + 1000}
        env = {e["name"]: e.get("value") for e in container["env"]}
        assert env["RAPPORT_PORT"] == str(ports["http"])
        assert env["RAPPORT_METRICS_PORT"] == str(ports["metrics"])


def test_prometheus_finds_every_pods_metrics_port(rendered: list[dict[str, Any]]) -> None:
    """Pod annotations point at the metrics port; the headless Service reaches every pod's."""
    for name, deployment in of_kind(rendered, "Deployment").items():
        template = deployment["spec"]["template"]
        annotations = template["metadata"]["annotations"]
        [container] = template["spec"]["containers"]
        ports = {p["name"]: p["containerPort"] for p in container["ports"]}
        assert annotations["prometheus.io/scrape"] == "true", name
        assert annotations["prometheus.io/port"] == str(ports["metrics"]), name
        assert annotations["prometheus.io/path"] == "/metrics", name
    metrics = of_kind(rendered, "Service")["rapport-metrics"]["spec"]
    assert metrics["clusterIP"] == "None"
    assert metrics["selector"] == {"app": "rapport"}
    assert [p["targetPort"] for p in metrics["ports"]] == ["metrics"]
    labels = [
        d["spec"]["template"]["metadata"]["labels"]
        for d in of_kind(rendered, "Deployment").values()
    ]
    assert all(metrics["selector"].items() <= lbl.items() for lbl in labels)


def test_the_image_is_a_real_configurable_name(
    rendered: list[dict[str, Any]], tmp_path: Path
) -> None:
    kustomization = yaml.safe_load((KUSTOMIZE_DIR / "kustomization.yaml").read_text())
    [image] = kustomization["images"]
    images = {c["image"] for c in containers(rendered).values()}
    assert images == {f"{image['newName']}:{image['newTag']}"}
    [reference] = images
    registry, _, _path = reference.partition("/")
    assert "." in registry or ":" in registry, f"{reference}: no registry host"
    assert not reference.endswith((":latest", ":local")), reference

    # An overlay of the operator's own sets another image for every service (it names
    # the image as the base renders it).
    overlay = tmp_path / "overlay"
    overlay.mkdir()
    base = Path(shutil.copytree(KUSTOMIZE_DIR, tmp_path / "base"))
    (overlay / "kustomization.yaml").write_text(
        yaml.safe_dump(
            {
                "apiVersion": "kustomize.config.k8s.io/v1beta1",
                "kind": "Kustomization",
                # `bases`: Debian's kubectl (1.20) takes no directory in `resources`;
                # newer ones still accept it.
                "bases": [f"../{base.name}"],
                "images": [
                    {"name": image["newName"], "newName": "registry.acme.test/ops/rapport"}
                    | {"newTag": "9.9.9"}
                ],
            }
        )
    )
    overridden = {c["image"] for c in containers(render(overlay)).values()}
    assert overridden == {"registry.acme.test/ops/rapport:9.9.9"}
