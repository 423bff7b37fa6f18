#!/usr/bin/env python3
"""Checks the rendered deploy/kubernetes overlays for what the detectors do not judge: each
workload's own token-less service account, probes on the metrics port, requests and limits, a
NetworkPolicy admitting only the expected ports, 2+ webhook replicas with a PodDisruptionBudget
and a Service, the control-plane placement of the tail DaemonSet, its read-only hostPath as
the only one, and the namespaces' Pod Security labels.

Usage: check_manifests.py [--expect-violations] RENDERED.yaml|DIR...  (one file per overlay)
Exit 1 on a violation (with --expect-violations: exit 0 only if there were violations).
"""

import os
import sys

try:
    import yaml
except ImportError:
    sys.stderr.write("check_manifests: PyYAML is missing (Debian: python3-yaml)\n")
    sys.exit(2)

WORKLOADS = {"Deployment", "DaemonSet", "StatefulSet", "Job", "CronJob"}
AUDIT_LOG_DIR = "/var/log/kubernetes/audit"
UID = 65532


def pod_template(obj):
    spec = obj.get("spec", {})
    if obj["kind"] == "CronJob":
        spec = spec.get("jobTemplate", {}).get("spec", {})
    return spec.get("template", {})


def selects(selector, labels):
    return bool(selector) and all(labels.get(k) == v for k, v in selector.items())


def arg_value(args, flag):
    for i, a in enumerate(args):
        if a == flag and i + 1 < len(args):
            return args[i + 1]
        if a.startswith(flag + "="):
            return a.split("=", 1)[1]
    return None


def check_render(path, objects, errors):
    def err(where, msg):
        errors.append(f"{path}: {where}: {msg}")

    by_kind = {}
    for o in objects:
        by_kind.setdefault(o["kind"], []).append(o)
    workloads = [o for o in objects if o["kind"] in WORKLOADS]
    if not workloads:
        err("render", "no workload")
    if not any("kaudit.yaml" in (c.get("data") or {}) for c in by_kind.get("ConfigMap", [])):
        err("render", "no ConfigMap with kaudit.yaml")
    service_accounts = {(o["metadata"].get("namespace"), o["metadata"]["name"]): o
                        for o in by_kind.get("ServiceAccount", [])}
    sa_users = {}
    host_path_namespaces = set()

    for w in workloads:
        meta = w["metadata"]
        ns, name = meta.get("namespace"), meta["name"]
        where = f"{w['kind']} {ns}/{name}"
        template = pod_template(w)
        labels = template.get("metadata", {}).get("labels", {})
        annotations = template.get("metadata", {}).get("annotations", {})
        pod = template.get("spec", {})

        sa = pod.get("serviceAccountName", "default")
        sa_users.setdefault((ns, sa), []).append(name)
        if sa == "default" or (ns, sa) not in service_accounts:
            err(where, f"service account {sa!r} is not one of the render's own")
        elif service_accounts[(ns, sa)].get("automountServiceAccountToken") is not False:
            err(where, f"service account {sa} mounts a token")
        if pod.get("automountServiceAccountToken") is not False:
            err(where, "pod does not set automountServiceAccountToken: false")
        psc = pod.get("securityContext", {})
        if psc.get("runAsNonRoot") is not True or psc.get("runAsUser") != UID:
            err(where, f"pod securityContext lacks runAsNonRoot: true, runAsUser: {UID}")
        if psc.get("seccompProfile", {}).get("type") != "RuntimeDefault":
            err(where, "pod seccompProfile is not RuntimeDefault")
        for field in ("hostNetwork", "hostPID", "hostIPC"):
            if pod.get(field):
                err(where, f"{field}: true")

        host_paths = {v["name"]: v["hostPath"].get("path") for v in pod.get("volumes", [])
                      if "hostPath" in v}
        for vname, hpath in host_paths.items():
            if w["kind"] != "DaemonSet" or hpath != AUDIT_LOG_DIR:
                err(where, f"hostPath volume {vname} ({hpath}): only the tail DaemonSet may "
                    f"mount {AUDIT_LOG_DIR}")
            host_path_namespaces.add(ns)

        containers = pod.get("containers", []) + pod.get("initContainers", [])
        metrics_ports = set()
        serves = False
        for c in containers:
            cw = f"{where} container {c.get('name')}"
            image = c.get("image", "")
            if "@" not in image and (":" not in image.rsplit("/", 1)[-1]
                                     or image.endswith(":latest")):
                err(cw, f"image {image!r} is not pinned to a tag")
            sc = c.get("securityContext", {})
            if sc.get("allowPrivilegeEscalation") is not False:
                err(cw, "allowPrivilegeEscalation is not false")
            if sc.get("readOnlyRootFilesystem") is not True:
                err(cw, "readOnlyRootFilesystem is not true")
            if sc.get("privileged"):
                err(cw, "privileged")
            caps = sc.get("capabilities", {})
            if "ALL" not in caps.get("drop", []) or caps.get("add"):
                err(cw, "capabilities do not drop ALL (or add some)")
            res = c.get("resources", {})
            for kind in ("requests", "limits"):
                if not {"cpu", "memory"} <= set(res.get(kind, {})):
                    err(cw, f"resources.{kind} lacks cpu or memory")
            for m in c.get("volumeMounts", []):
                if m["name"] in host_paths and m.get("readOnly") is not True:
                    err(cw, f"hostPath {m['name']} mounted writable")
            args = c.get("command", []) + c.get("args", [])
            serves = serves or (bool(args) and args[0] == "serve")
            ports = {p.get("name"): p.get("containerPort") for p in c.get("ports", [])}
            addr = arg_value(args, "--metrics-addr")
            if addr is None or "metrics" not in ports or \
                    addr.rsplit(":", 1)[-1] != str(ports["metrics"]):
                err(cw, "--metrics-addr does not match a container port named metrics")
                continue
            metrics_ports.add(ports["metrics"])
            for probe, want in (("livenessProbe", "/healthz"), ("readinessProbe", "/readyz")):
                get = c.get(probe, {}).get("httpGet", {})
                if get.get("path") != want or get.get("port") not in ("metrics",
                                                                      ports["metrics"]):
                    err(cw, f"{probe} is not httpGet {want} on the metrics port")
            if annotations.get("prometheus.io/scrape") != "true" or \
                    annotations.get("prometheus.io/port") != str(ports["metrics"]):
                err(cw, "no Prometheus scrape annotations for the metrics port")

        # Ingress: a NetworkPolicy selecting the pods admits the metrics port (and the
        # webhook port for serve), every rule names its ports, and nothing else is open.
        allowed = set(metrics_ports) | ({8443} if serves else set())
        policies = [p for p in by_kind.get("NetworkPolicy", [])
                    if p["metadata"].get("namespace") == ns and
                    selects(p["spec"].get("podSelector", {}).get("matchLabels"), labels) and
                    "Ingress" in p["spec"].get("policyTypes", [])]
        if not policies:
            err(where, "no NetworkPolicy restricts its ingress")
        opened = set()
        for p in policies:
            for rule in p["spec"].get("ingress", []):
                if not rule.get("from") or not rule.get("ports"):
                    err(where, f"NetworkPolicy {p['metadata']['name']} has an ingress rule "
                        "without from or ports")
                opened |= {pt.get("port") for pt in rule.get("ports", [])}
        if policies and opened != allowed:
            err(where, f"ingress admits ports {sorted(opened, key=str)}, want "
                f"{sorted(allowed)}")

        if serves:
            if w["kind"] != "Deployment" or w["spec"].get("replicas", 1) < 2:
                err(where, "the webhook receiver must be a Deployment with 2+ replicas")
            if not any(selects(p["spec"].get("selector", {}).get("matchLabels"), labels)
                       for p in by_kind.get("PodDisruptionBudget", [])):
                err(where, "no PodDisruptionBudget")
            if not any(selects(s["spec"].get("selector"), labels)
                       for s in by_kind.get("Service", [])):
                err(where, "no Service")
        if w["kind"] == "DaemonSet":
            key = "node-role.kubernetes.io/control-plane"
            if key not in pod.get("nodeSelector", {}) or \
                    not any(t.get("key") == key for t in pod.get("tolerations", [])):
                err(where, "not pinned to control-plane nodes (nodeSelector + toleration)")

    for (ns, sa), users in sa_users.items():
        if len(users) > 1:
            err(f"ServiceAccount {ns}/{sa}", f"shared by {', '.join(users)}")
    for n in by_kind.get("Namespace", []):
        name, nl = n["metadata"]["name"], n["metadata"].get("labels", {})
        want = "privileged" if name in host_path_namespaces else "restricted"
        if nl.get("pod-security.kubernetes.io/enforce") != want or \
                nl.get("pod-security.kubernetes.io/audit") != "restricted" or \
                nl.get("pod-security.kubernetes.io/warn") != "restricted":
            err(f"Namespace {name}", f"Pod Security labels: want enforce={want}, "
                "audit=restricted, warn=restricted")


def main():
    args = sys.argv[1:]
    expect_violations = bool(args) and args[0] == "--expect-violations"
    if expect_violations:
        args = args[1:]
    if not args:
        sys.stderr.write(__doc__)
        return 2
    paths = []
    for path in args:
        if os.path.isdir(path):
            paths += sorted(os.path.join(path, f) for f in os.listdir(path) if f.endswith(".yaml"))
        else:
            paths.append(path)
    if not paths:
        sys.stderr.write("check_manifests: no manifests\n")
        return 2
    errors = []
    for path in paths:
        with open(path, encoding="utf-8") as f:
            objects = [d for d in yaml.safe_load_all(f) if d]
        check_render(path, objects, errors)
        print(f"{path}: {len(objects)} objects")
    for e in errors:
        print(f"  {e}")
    if expect_violations:
        print("OK: violations found" if errors else "FAIL: no violation found")
        return 0 if errors else 1
    print(f"FAIL: {len(errors)} violations" if errors else "OK: no violation")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
