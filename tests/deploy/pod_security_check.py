#!/usr/bin/env python3
"""Runs Kubernetes manifests through kaudit's own detectors as if they were created through the
API, and compares the alerts with a list of expected findings.

Every object of the manifests (multi-document YAML, e.g. `kubectl kustomize` output) becomes
one audit.k8s.io/v1 Event: verb create, stage ResponseComplete, level RequestResponse, the
manifest as requestObject (and, with a uid, as responseObject), objectRef from the manifest,
made by a cluster admin's kubectl (kubernetes-admin, the kubeadm admin user). `kaudit replay
--format json` reads them; each alert is a finding (detector, resource, namespace/name).

The expected-findings file has one finding per line: `detector resource namespace/name`, then
optionally `# why`. The check fails (exit 1) on any finding not listed and on any listed finding
that did not occur, and also when kaudit did not parse every event (so a broken wrapper cannot
pass silently). With --expect-unexpected it succeeds only if there were unexpected findings
(the negative test: the check must be able to fail). Other errors exit 2.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import uuid

try:
    import yaml
except ImportError:
    sys.stderr.write("pod_security_check: PyYAML is missing (Debian: python3-yaml, "
                     "installed by scripts/install-deps.sh)\n")
    sys.exit(2)

# kind -> resource, for the kinds the manifests contain; others are lower-cased plurals.
RESOURCES = {
    "Namespace": "namespaces", "ServiceAccount": "serviceaccounts", "ConfigMap": "configmaps",
    "Secret": "secrets", "Service": "services", "Pod": "pods", "Deployment": "deployments",
    "DaemonSet": "daemonsets", "StatefulSet": "statefulsets", "ReplicaSet": "replicasets",
    "Job": "jobs", "CronJob": "cronjobs", "NetworkPolicy": "networkpolicies",
    "PodDisruptionBudget": "poddisruptionbudgets", "Ingress": "ingresses",
    "Role": "roles", "ClusterRole": "clusterroles", "RoleBinding": "rolebindings",
    "ClusterRoleBinding": "clusterrolebindings", "Issuer": "issuers",
    "ClusterIssuer": "clusterissuers", "Certificate": "certificates",
    "ServiceMonitor": "servicemonitors",
}
WORKLOADS = {"Pod", "Deployment", "DaemonSet", "StatefulSet", "ReplicaSet", "Job", "CronJob",
             "ReplicationController", "PodTemplate"}
CLUSTER_SCOPED = {"Namespace", "ClusterRole", "ClusterRoleBinding", "ClusterIssuer"}


def resource_of(kind):
    if kind in RESOURCES:
        return RESOURCES[kind]
    low = kind.lower()
    return low[:-1] + "ies" if low.endswith("y") else low + "s"


def expand(paths):
    """Files as given; directories as their *.yaml files, sorted."""
    out = []
    for path in paths:
        if os.path.isdir(path):
            out += sorted(os.path.join(path, f) for f in os.listdir(path) if f.endswith(".yaml"))
        else:
            out.append(path)
    return out


def load_objects(paths):
    """The objects of every YAML document of `paths`, each with a key unique to its place."""
    objects = []
    for path in expand(paths):
        with open(path, encoding="utf-8") as f:
            for doc in yaml.safe_load_all(f):
                if not doc:
                    continue
                if not isinstance(doc, dict) or "kind" not in doc or "apiVersion" not in doc:
                    raise ValueError(f"{path}: a document without kind/apiVersion")
                objects.append((f"{path}#{len(objects)}", doc))
    return objects


def make_event(key, obj, index):
    kind = obj["kind"]
    api_version = obj["apiVersion"]
    group, _, version = api_version.rpartition("/")
    meta = obj.get("metadata", {})
    name = meta.get("name", "")
    namespace = "" if kind in CLUSTER_SCOPED else meta.get("namespace", "default")
    resource = resource_of(kind)
    prefix = f"/apis/{group}/{version}" if group else f"/api/{version}"
    uri = prefix + (f"/namespaces/{namespace}" if namespace else "") + f"/{resource}"
    audit_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"kaudit-deploy/{key}"))
    stamp = f"2026-01-02T03:04:{index % 60:02d}.{index // 60:06d}Z"
    response = json.loads(json.dumps(obj))
    response.setdefault("metadata", {})["uid"] = audit_id
    response["metadata"]["creationTimestamp"] = stamp[:19] + "Z"
    if namespace:
        response["metadata"]["namespace"] = namespace
    object_ref = {"resource": resource, "name": name, "apiVersion": version}
    if namespace:
        object_ref["namespace"] = namespace
    if group:
        object_ref["apiGroup"] = group
    return {
        "kind": "Event", "apiVersion": "audit.k8s.io/v1", "level": "RequestResponse",
        "auditID": audit_id, "stage": "ResponseComplete",
        "requestURI": uri + "?fieldManager=kubectl-client-side-apply&fieldValidation=Strict",
        "verb": "create",
        "user": {"username": "kubernetes-admin",
                 "groups": ["kubeadm:cluster-admins", "system:authenticated"]},
        "sourceIPs": ["192.0.2.10"],
        "userAgent": "kubectl/v1.30.2 (linux/amd64) kubernetes/3968350",
        "objectRef": object_ref,
        "responseStatus": {"metadata": {}, "code": 201},
        "requestObject": obj, "responseObject": response,
        "requestReceivedTimestamp": stamp, "stageTimestamp": stamp,
        "annotations": {
            "authorization.k8s.io/decision": "allow",
            "authorization.k8s.io/reason": 'RBAC: allowed by ClusterRoleBinding '
            '"kubeadm:cluster-admins" of ClusterRole "cluster-admin" to Group '
            '"kubeadm:cluster-admins"'},
    }


def load_expected(path):
    expected = set()
    with open(path, encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            line = line.split("#", 1)[0].strip()
            if not line:
                continue
            fields = line.split()
            if len(fields) != 3:
                raise ValueError(f"{path}:{number}: want `detector resource namespace/name`")
            expected.add(tuple(fields))
    return expected


def finding_of(alert):
    obj = alert.get("object", {})
    return (alert["detector"], obj.get("resource", ""),
            f"{obj.get('namespace', '')}/{obj.get('name', '')}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--kaudit", required=True, help="the kaudit binary")
    parser.add_argument("--config", help="kaudit config (-c)")
    parser.add_argument("--expected", required=True, help="expected findings file")
    parser.add_argument("--expect-unexpected", action="store_true",
                        help="succeed only if some finding was not expected")
    parser.add_argument("manifests", nargs="+", help="YAML files, or directories of them")
    args = parser.parse_args()

    try:
        objects = load_objects(args.manifests)
        expected = load_expected(args.expected)
    except (OSError, ValueError, yaml.YAMLError) as e:
        sys.stderr.write(f"pod_security_check: {e}\n")
        return 2
    if not objects:
        sys.stderr.write("pod_security_check: no objects in the manifests\n")
        return 2

    with tempfile.TemporaryDirectory(prefix="kaudit-deploy-") as tmp:
        events_path = os.path.join(tmp, "events.jsonl")
        summary_path = os.path.join(tmp, "summary.json")
        with open(events_path, "w", encoding="utf-8") as f:
            for i, (key, obj) in enumerate(objects):
                f.write(json.dumps(make_event(key, obj, i), separators=(",", ":")) + "\n")
        cmd = [args.kaudit, "replay", "--format", "json", "--summary-file", summary_path, "-q"]
        if args.config:
            cmd += ["-c", args.config]
        cmd.append(events_path)
        run = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if run.returncode != 0:
            sys.stderr.write(f"pod_security_check: {' '.join(cmd)} exited {run.returncode}:\n"
                             f"{run.stderr}")
            return 2
        with open(summary_path, encoding="utf-8") as f:
            summary = json.load(f)

    # The wrapper must produce events kaudit fully judges: all parsed, none a duplicate, no
    # detector skipping one (allow-list) or unable to judge it (no pod spec visible), and the
    # pod-security detectors shown every workload.
    problems = []
    if summary.get("events") != len(objects) or summary.get("invalid_events"):
        problems.append(f"parsed {summary.get('events')} of {len(objects)} events, "
                        f"{summary.get('invalid_events')} invalid")
    if summary.get("duplicates"):
        problems.append(f"{summary['duplicates']} duplicates")
    detectors = summary.get("detectors", {})
    for detector_id, d in sorted(detectors.items()):
        if d.get("not_judged") or d.get("allowed"):
            problems.append(f"{detector_id}: {d.get('not_judged')} not judged, "
                            f"{d.get('allowed')} allow-listed")
    workloads = sum(1 for _, o in objects if o["kind"] in WORKLOADS)
    shown = detectors.get("privileged_container", {}).get("events", 0)
    if shown < workloads:
        problems.append(f"privileged_container saw {shown} events for {workloads} workloads")
    if problems:
        sys.stderr.write("pod_security_check: the events were not fully judged: " +
                         "; ".join(problems) + "\n" + run.stderr)
        return 2

    alerts = [json.loads(line) for line in run.stdout.splitlines() if line.strip()]
    found = {}
    for alert in alerts:
        found.setdefault(finding_of(alert), []).append(alert)
    unexpected = sorted(set(found) - expected)
    missing = sorted(expected - set(found))

    kinds = sorted({o["kind"] for _, o in objects})
    print(f"{len(objects)} objects ({', '.join(kinds)}) -> {len(alerts)} alerts, "
          f"{len(found)} distinct findings, {len(expected)} expected")
    for key in sorted(found):
        mark = "expected  " if key in expected else "UNEXPECTED"
        for alert in found[key]:
            print(f"  {mark} {' '.join(key)} [{alert.get('severity')}]: {alert.get('message')}")
    for key in missing:
        print(f"  MISSING    {' '.join(key)}: expected but not reported")

    if args.expect_unexpected:
        if unexpected:
            print(f"OK: the check rejects these manifests ({len(unexpected)} unexpected findings)")
            return 0
        print("FAIL: expected the check to reject these manifests, it accepted them")
        return 1
    if unexpected or missing:
        print(f"FAIL: {len(unexpected)} unexpected and {len(missing)} missing findings")
        return 1
    print("OK: only the expected findings")
    return 0


if __name__ == "__main__":
    sys.exit(main())
