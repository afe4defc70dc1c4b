"""The Kubernetes manifests as kustomize renders them (`kubectl kustomize deploy/kubernetes`),
validated against the Kubernetes schemas (kubernetes-validate, strict: unknown fields are
errors), and reviewed: resources, a locked-down security context, disruption budgets,
autoscalers, no metrics port in a Service that can be published (the edge, the console), a
headless metrics Service, and an image that is a real, configurable name.

The stages are StatefulSets (stable pod names: stable consumer names, and the ordinal that
picks a pod's partitions); the overlay deploy/kubernetes-partitioned pins partitions to pods
(``spread``) for a Redis Cluster, and its wiring is checked by reading each pod's environment
with Rapport's own settings: every partition read by exactly one pod of each stage."""

from __future__ import annotations

import copy
import os
import re
import shutil
import socket
import subprocess
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml
from kubernetes_validate import utils as kv_utils

from tests.deploy.tools import DEPLOY, require_binary

KUSTOMIZE_DIR = DEPLOY / "kubernetes"
PARTITIONED_DIR = DEPLOY / "kubernetes-partitioned"
SERVICES = ("edge", "handoff", "sentiment", "router", "console")
STAGES = ("handoff", "sentiment", "router")  # stream consumers: StatefulSets
HTTP_PORTS = {"edge": 8080, "handoff": 8080, "sentiment": 8081, "router": 8082, "console": 8083}
# The webhook edge and the handoff stage are one program in two workloads (issue 14).
COMMANDS = {"rapport-edge": "rapport-handoff"}
ROLES = {"rapport-edge": "edge", "rapport-handoff": "stage"}
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


@pytest.fixture(scope="module")
def partitioned() -> list[dict[str, Any]]:
    return render(PARTITIONED_DIR)


def of_kind(docs: list[dict[str, Any]], kind: str) -> dict[str, dict[str, Any]]:
    return {d["metadata"]["name"]: d for d in docs if d["kind"] == kind}


def workloads(docs: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """The Deployments and StatefulSets, by name."""
    return of_kind(docs, "Deployment") | of_kind(docs, "StatefulSet")


def test_kustomize_renders_every_service(rendered: list[dict[str, Any]]) -> None:
    kinds = sorted(
        (d["kind"], re.sub(r"-[a-z0-9]{10}$", "-<hash>", d["metadata"]["name"])) for d in rendered
    )
    expected = [
        ("Service", "rapport-edge"),
        ("Service", "rapport-console"),
        ("Service", "rapport-metrics"),
        ("Deployment", "rapport-console"),
        ("Deployment", "rapport-edge"),
        ("ConfigMap", "rapport-scaling-<hash>"),
    ] + [
        (kind, f"rapport-{s}")
        for kind in ("HorizontalPodAutoscaler", "PodDisruptionBudget")
        for s in SERVICES
    ]
    expected += [("StatefulSet", f"rapport-{s}") for s in STAGES]
    assert kinds == sorted(expected)


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("layout", ["base", "partitioned"])
def test_the_rendered_manifests_validate_against_the_schemas(
    rendered: list[dict[str, Any]], partitioned: list[dict[str, Any]], version: str, layout: str
) -> None:
    # `kubectl apply --dry-run=client` cannot stand in: it still asks an API server for its
    # schemas. kubernetes-validate carries them.
    for doc in rendered if layout == "base" else partitioned:
        try:
            kubernetes_validate.validate(doc, version, strict=True)
        except kubernetes_validate.ValidationError as exc:
            pytest.fail(f"{doc['kind']}/{doc['metadata']['name']} ({version}): {exc.message}")


def test_the_validation_catches_a_mistake(rendered: list[dict[str, Any]]) -> None:
    """Strict validation is not a rubber stamp: a misspelt field fails it."""
    deployment = copy.deepcopy(workloads(rendered)["rapport-router"])
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    container["resource"] = container.pop("resources")
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, VERSIONS[-1], strict=True)


def containers(rendered: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    found = {}
    for name, deployment in workloads(rendered).items():
        [container] = deployment["spec"]["template"]["spec"]["containers"]
        found[name] = container
    return found


def test_each_service_runs_with_probes_and_its_own_command(rendered: list[dict[str, Any]]) -> None:
    for name, container in containers(rendered).items():
        assert container["command"] == [COMMANDS.get(name, name)]
        assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
        assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
        env = {e["name"]: e for e in container["env"]}
        assert env["RAPPORT_ENV"]["value"] == "production"
        assert env["RAPPORT_CONSUMER_NAME"]["valueFrom"]["fieldRef"]["fieldPath"] == (
            "metadata.name"
        )
        if name in ROLES:
            assert env["RAPPORT_HANDOFF_ROLE"]["value"] == ROLES[name]
        else:
            assert "RAPPORT_HANDOFF_ROLE" not in env


def test_every_container_has_requests_and_limits(rendered: list[dict[str, Any]]) -> None:
    for name, container in containers(rendered).items():
        resources = container["resources"]
        for kind in ("requests", "limits"):
            assert {"cpu", "memory"} <= set(resources[kind]), f"{name}: {kind}"


def test_pods_run_locked_down(rendered: list[dict[str, Any]]) -> None:
    for name, deployment in workloads(rendered).items():
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
    for deployment in workloads(rendered).values():
        assert deployment["spec"]["template"]["spec"]["securityContext"]["runAsUser"] == uid


def test_each_deployment_has_a_disruption_budget_and_an_autoscaler(
    rendered: list[dict[str, Any]],
) -> None:
    budgets = of_kind(rendered, "PodDisruptionBudget")
    autoscalers = of_kind(rendered, "HorizontalPodAutoscaler")
    for name, deployment in workloads(rendered).items():
        labels = deployment["spec"]["template"]["metadata"]["labels"]
        assert budgets[name]["spec"]["selector"]["matchLabels"].items() <= labels.items()
        assert budgets[name]["spec"]["minAvailable"] == 1
        hpa = autoscalers[name]["spec"]
        assert hpa["scaleTargetRef"] == {
            "apiVersion": "apps/v1",
            "kind": deployment["kind"],
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
    assert edge["spec"]["selector"] == {"app": "rapport", "component": "edge"}
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
    for name, deployment in workloads(rendered).items():
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
    labels = [d["spec"]["template"]["metadata"]["labels"] for d in workloads(rendered).values()]
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


def pod_environment(docs: list[dict[str, Any]], workload: dict[str, Any]) -> dict[str, str]:
    """The literal environment a pod of ``workload`` gets: its ConfigMaps, then its env (the
    Secret and field references left out: a test has neither)."""
    [container] = workload["spec"]["template"]["spec"]["containers"]
    config_maps = of_kind(docs, "ConfigMap")
    env: dict[str, str] = {}
    for source in container.get("envFrom", []):
        if "configMapRef" in source:
            env |= config_maps[source["configMapRef"]["name"]]["data"]
    env |= {e["name"]: e["value"] for e in container["env"] if "value" in e}
    return env


def owned_by_pod(
    env: dict[str, str], pod_name: str, monkeypatch: pytest.MonkeyPatch
) -> tuple[int, ...]:
    """The partitions a pod named ``pod_name`` with ``env`` reads, by Rapport's own settings
    (the ordinal comes from the host name, which is the pod name in a StatefulSet)."""
    from rapport_runtime.settings import RapportSettings

    with monkeypatch.context() as m:
        for name in [k for k in os.environ if k.startswith("RAPPORT_")]:
            m.delenv(name)
        # What the Secret rapport-secrets would add (production refuses to start without it).
        m.setenv("RAPPORT_ADMIN_TOKEN", "manifest-test-admin-token-0123")
        for name, value in env.items():
            m.setenv(name, value)
        m.setattr(socket, "gethostname", lambda: pod_name)
        settings = RapportSettings()
        assert settings.consumer_name != pod_name  # the manifest's fieldRef sets it, not env
        return settings.owned_partitions


def test_the_stages_keep_their_pod_names_as_consumer_names(
    rendered: list[dict[str, Any]], partitioned: list[dict[str, Any]]
) -> None:
    for docs in (rendered, partitioned):
        sets = of_kind(docs, "StatefulSet")
        assert sorted(sets) == sorted(f"rapport-{s}" for s in STAGES)
        headless = of_kind(docs, "Service")
        for name, workload in sets.items():
            spec = workload["spec"]
            # The governing Service exists, is headless and selects the set's pods.
            governing = headless[spec["serviceName"]]["spec"]
            assert governing["clusterIP"] == "None"
            assert governing["selector"].items() <= spec["template"]["metadata"]["labels"].items()
            [container] = spec["template"]["spec"]["containers"]
            env = {e["name"]: e for e in container["env"]}
            assert env["RAPPORT_CONSUMER_NAME"]["valueFrom"]["fieldRef"]["fieldPath"] == (
                "metadata.name"
            ), name


def test_one_partition_count_reaches_every_pod(
    rendered: list[dict[str, Any]], partitioned: list[dict[str, Any]]
) -> None:
    """Every process of a deployment must use the same RAPPORT_PARTITIONS: all pods read it
    from the one ConfigMap. 1 in the base (a standalone Redis keeps its layout), 8 in the
    overlay."""
    for docs, expected in ((rendered, "1"), (partitioned, "8")):
        for name, workload in workloads(docs).items():
            assert pod_environment(docs, workload)["RAPPORT_PARTITIONS"] == expected, name


def test_the_base_reads_every_partition_from_every_pod_whatever_the_count(
    rendered: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    for stage in STAGES:
        workload = of_kind(rendered, "StatefulSet")[f"rapport-{stage}"]
        env = pod_environment(rendered, workload) | {"RAPPORT_PARTITIONS": "8"}
        for ordinal in range(5):
            owned = owned_by_pod(env, f"rapport-{stage}-{ordinal}", monkeypatch)
            assert owned == tuple(range(8)), (stage, ordinal)


def test_the_partitioned_overlay_gives_each_partition_to_exactly_one_pod_of_each_stage(
    partitioned: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    autoscaled = {
        h["spec"]["scaleTargetRef"]["name"]
        for h in of_kind(partitioned, "HorizontalPodAutoscaler").values()
    }
    for stage in STAGES:
        name = f"rapport-{stage}"
        workload = of_kind(partitioned, "StatefulSet")[name]
        replicas = workload["spec"]["replicas"]
        env = pod_environment(partitioned, workload)
        assert env["RAPPORT_CONSUMER_PARTITIONS"] == "spread"
        # spread is only right if the count it divides by is the count that runs, and nothing
        # changes that count behind it.
        assert int(env["RAPPORT_REPLICAS"]) == replicas, name
        assert name not in autoscaled, f"{name}: an autoscaler would break spread"
        count = int(env["RAPPORT_PARTITIONS"])
        assert count % replicas == 0, f"{name}: {replicas} replicas do not divide {count}"
        owners: dict[int, list[int]] = {}
        for ordinal in range(replicas):
            owned = owned_by_pod(env, f"{name}-{ordinal}", monkeypatch)
            assert len(owned) == count // replicas, (name, ordinal, owned)
            for partition in owned:
                owners.setdefault(partition, []).append(ordinal)
        assert owners == {p: [p % replicas] for p in range(count)}, name
        # A pod beyond the count (a scale-up without RAPPORT_REPLICAS) is refused at start.
        with pytest.raises(ValueError, match="must be below RAPPORT_REPLICAS"):
            owned_by_pod(env, f"{name}-{replicas}", monkeypatch)
    # The console and the webhook edge keep their autoscalers: they consume no stream.
    assert autoscaled == {"rapport-console", "rapport-edge"}
