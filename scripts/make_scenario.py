#!/usr/bin/env python3
"""Builds tests/data/scenario/attack.jsonl: a multi-step attack scripted as an audit log and
mixed into benign traffic, for tests/integration/scenario_test.cc.

Benign traffic (real events, retimed only): every event of the two public audit2rbac demo
logs in tests/data/public (an admin creating, patching and deleting roles and bindings, and
impersonated users working). The public rbactool test data is left out: its ConfigMaps hold a
key named "secret", which configmap_credentials rightly reports (medium), so it is not benign
by kaudit's definition. Also benign: constructed routine work built from real Falco-corpus templates: a CI service account
(system:serviceaccount:ci:deployer) reading deployments from its runner's network every 30
minutes for 26 hours (first_seen's learning period is 24 h), and alice creating the
Deployment ci/api and the ClusterRole ci-reader the attacker later changes.

The attack (constructed from real Falco-corpus templates, from 203.0.113.66 with curl):
 1. anonymous probing: /version, a forbidden secrets list, an allowed pod list
 2. the stolen ci:deployer token used from the new address and client
 3. permission enumeration: a selfsubjectrulesreview (kubectl auth can-i --list)
 4. secret enumeration: 12 distinct secrets
 5. a privileged pod with a hostPath mount of / (ci/node-shell)
 6. exec into it, the session held open 40 minutes
 7. a sidecar with a new image implanted into Deployment ci/api
 8. secrets read added to ClusterRole ci-reader
 9. a cluster-admin ClusterRoleBinding (ci-admin) to the service account, and its first use
10. events deleted in namespace ci
11. a token minted for another service account (ci:builder) and used from a third address
12. a client certificate for CN=backdoor, O=system:masters requested, approved by the same
    identity, and used

The ci:deployer token is the bound token of the runner's pod (user.extra pod-name, pod-uid,
node-name), so its use from the attacker's address is also a pod token used outside its pod.
The CSR of step 12 is generated with the openssl command line (a fresh key each run).

Run from the repository root; the output is committed.
"""
import base64
import copy
import datetime
import json
import os
import subprocess
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATA = os.path.join(ROOT, "tests", "data")
OUT = os.path.join(DATA, "scenario", "attack.jsonl")
F = "falco/k8s_audit__"
T0 = datetime.datetime(2024, 6, 1, 0, 0, 0)
ATTACK = 26 * 3600  # seconds after T0
SA = "system:serviceaccount:ci:deployer"
SA_GROUPS = ["system:serviceaccounts", "system:serviceaccounts:ci", "system:authenticated"]
EVIL_IP = "203.0.113.66"
EVIL_UA = "curl/8.1.2"
RUNNER_IP = "10.8.1.15"
RUNNER_UA = "deployer/v1.2.0 (linux/amd64) kubernetes/abcdef"
RUNNER_POD = {"authentication.kubernetes.io/pod-name": ["deployer-runner-7f9c4-q2x8z"],
              "authentication.kubernetes.io/pod-uid": ["5d0c1e2a-0000-4000-8000-00000000c1c1"],
              "authentication.kubernetes.io/node-name": ["worker-1"]}
OTHER_IP = "198.51.100.23"
_n = [0]


def load(rel):
    with open(os.path.join(DATA, rel)) as f:
        return json.loads(f.readline())


def fmt(t):
    return t.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def ts(seconds):
    return fmt(T0 + datetime.timedelta(seconds=seconds))


def ev(template, seconds, actor=SA, groups=None, ip=EVIL_IP, ua=EVIL_UA, **kw):
    e = copy.deepcopy(template if isinstance(template, dict) else load(F + template + ".json"))
    _n[0] += 1
    e["auditID"] = "a77ac000-0000-4000-8000-%012d" % _n[0]
    e["requestReceivedTimestamp"] = ts(seconds)
    e["stageTimestamp"] = ts(seconds + 0.02)
    e.pop("timestamp", None)
    e["user"] = {"username": actor,
                 "groups": groups if groups is not None else
                 (SA_GROUPS if actor == SA else ["system:authenticated"])}
    if actor == SA:
        e["user"]["extra"] = copy.deepcopy(RUNNER_POD)
    e["sourceIPs"] = [ip]
    e["userAgent"] = ua
    e["annotations"] = {"authorization.k8s.io/decision": "allow",
                        "authorization.k8s.io/reason": ""}
    e.update(kw)
    return e


def reason(binding, role, subject):
    return {"authorization.k8s.io/decision": "allow",
            "authorization.k8s.io/reason": 'RBAC: allowed by ClusterRoleBinding "%s" of '
            'ClusterRole "%s" to %s' % (binding, role, subject)}


def simple(seconds, verb, uri, resource, ns="", name="", code=200, sub="", **kw):
    """A request without a body, from the real secret-create template."""
    e = ev("create_secret", seconds, verb=verb, requestURI=uri, level="Metadata", **kw)
    e["objectRef"] = {"resource": resource, "apiVersion": "v1"}
    if ns:
        e["objectRef"]["namespace"] = ns
    if name:
        e["objectRef"]["name"] = name
    if sub:
        e["objectRef"]["subresource"] = sub
    e["responseStatus"] = {"metadata": {}, "code": code}
    e.pop("requestObject", None)
    e.pop("responseObject", None)
    return e


def csr_pem(subject):
    with tempfile.TemporaryDirectory() as d:
        subprocess.run(["openssl", "req", "-new", "-newkey", "ec", "-pkeyopt",
                        "ec_paramgen_curve:prime256v1", "-nodes", "-keyout",
                        os.path.join(d, "k"), "-subj", subject, "-out", os.path.join(d, "r")],
                       check=True, capture_output=True)
        with open(os.path.join(d, "r"), "rb") as f:
            return base64.b64encode(f.read()).decode()


def benign_real():
    """Every event of the public logs, retimed to overlap the attack (offsets kept)."""
    out = []
    for name, start in [("audit2rbac_demo_v1beta1_2017.log", ATTACK - 300),
                        ("audit2rbac_demo_v1_2022.log", ATTACK + 200)]:
        events = [json.loads(l) for l in open(os.path.join(DATA, "public", name)) if l.strip()]
        def parse(s):
            s = s.rstrip("Z")
            return datetime.datetime.strptime(s, "%Y-%m-%dT%H:%M:%S.%f" if "." in s
                                              else "%Y-%m-%dT%H:%M:%S")

        def when(e):  # early v1beta1 events carry only `timestamp`
            return parse(e.get("stageTimestamp", e.get("timestamp")))
        first = min(when(e) for e in events)
        shift = T0 + datetime.timedelta(seconds=start) - first
        for e in events:
            for k in ("requestReceivedTimestamp", "stageTimestamp", "timestamp"):
                if k in e:
                    e[k] = fmt(parse(e[k]) + shift)
            out.append(e)
    return out


def main():
    events = []
    sa_reason = reason("ci-deployer", "ci-deployer", 'ServiceAccount "deployer/ci"')
    # Routine: the CI service account, from its runner, every 30 minutes.
    for i in range(0, ATTACK // 1800 + 1):
        events.append(simple(i * 1800, "get", "/apis/apps/v1/namespaces/ci/deployments/api",
                             "deployments", "ci", "api", ip=RUNNER_IP, ua=RUNNER_UA,
                             annotations=sa_reason))
    # Routine: alice creates the deployment and the role the attacker later changes.
    dep = ev("create_deployment", 3600, actor="alice", ip="10.0.0.5", ua="kubectl/v1.29.0")
    dep["objectRef"].update(namespace="ci", name="api", apiGroup="apps", apiVersion="v1")
    dep["requestObject"]["metadata"].update(namespace="ci", name="api")
    events.append(dep)
    role = ev("create_clusterrole", 3700, actor="alice", ip="10.0.0.5", ua="kubectl/v1.29.0")
    role["objectRef"]["name"] = "ci-reader"
    for o in ("requestObject", "responseObject"):
        role[o]["metadata"]["name"] = "ci-reader"
    events.append(role)

    a = ATTACK
    anon = {"username": "system:anonymous", "groups": ["system:unauthenticated"]}
    # 1. anonymous probing
    for k, (uri, res, code) in enumerate([("/version", "", 200),
                                          ("/api/v1/namespaces/kube-system/secrets", "secrets",
                                           403),
                                          ("/api/v1/pods", "pods", 200)]):
        e = simple(a + k, "get" if not res else "list", uri, res or "x", code=code,
                   ns="kube-system" if res == "secrets" else "")
        e["user"] = anon
        if not res:
            e.pop("objectRef")
        if code == 403:
            e["annotations"] = {"authorization.k8s.io/decision": "forbid",
                                "authorization.k8s.io/reason": ""}
        events.append(e)
    # 2-3. the stolen token: permission enumeration from the new address and client
    events.append(simple(a + 60, "create",
                         "/apis/authorization.k8s.io/v1/selfsubjectrulesreviews",
                         "selfsubjectrulesreviews", code=201, annotations=sa_reason))
    # 4. secret enumeration
    secrets = [("ci", "registry-creds"), ("ci", "deploy-key"), ("ci", "db-password"),
               ("ci", "api-token"), ("ci", "tls-cert"), ("ci", "stripe-key"), ("ci", "hmac"),
               ("ci", "vault-root"), ("ci", "grafana-admin"), ("ci", "slack-webhook"),
               ("ci", "s3-creds"), ("ci", "npm-token")]
    for k, (ns, name) in enumerate(secrets):
        events.append(simple(a + 120 + 5 * k, "get",
                             "/api/v1/namespaces/%s/secrets/%s" % (ns, name), "secrets", ns,
                             name, annotations=sa_reason))
    # 5. a privileged pod mounting the host's /
    pod = ev("create_nginx_pod_privileged", a + 300, annotations=sa_reason)
    pod["objectRef"].update(namespace="ci", name="node-shell")
    spec = pod["requestObject"]["spec"]
    pod["requestObject"]["metadata"] = {"name": "node-shell", "namespace": "ci"}
    spec["volumes"] = [{"name": "host", "hostPath": {"path": "/"}}]
    spec["containers"][0]["volumeMounts"] = [{"name": "host", "mountPath": "/host"}]
    pod["requestURI"] = "/api/v1/namespaces/ci/pods"
    events.append(pod)
    # 6. exec into it; the stream closes 40 minutes later
    start = ev("exec_pod", a + 360, annotations=sa_reason)
    start["objectRef"].update(namespace="ci", name="node-shell")
    start["requestURI"] = ("/api/v1/namespaces/ci/pods/node-shell/exec?command=chroot&"
                           "command=%2Fhost&container=nginx&stdin=true&stdout=true&tty=true")
    end = copy.deepcopy(start)
    end["stage"] = "ResponseComplete"
    end["stageTimestamp"] = ts(a + 360 + 2400)
    events += [start, end]
    # 7. a sidecar implanted into ci/api
    upd = copy.deepcopy(dep)
    upd = ev(upd, a + 420, verb="update", annotations=sa_reason)
    upd["requestURI"] = "/apis/apps/v1/namespaces/ci/deployments/api"
    upd["responseStatus"] = {"metadata": {}, "code": 200}
    upd["requestObject"]["spec"]["template"]["spec"]["containers"].append(
        {"name": "metrics-helper", "image": "203.0.113.66:5000/xmrig:latest"})
    events.append(upd)
    # 8. secrets read added to ClusterRole ci-reader
    rp = ev(role, a + 480, verb="update", annotations=sa_reason)
    rp["responseStatus"] = {"metadata": {}, "code": 200}
    for o in ("requestObject", "responseObject"):
        rp[o]["rules"] = rp[o]["rules"] + [
            {"apiGroups": [""], "resources": ["secrets"], "verbs": ["get", "list", "watch"]}]
    rp["requestURI"] = "/apis/rbac.authorization.k8s.io/v1/clusterroles/ci-reader"
    events.append(rp)
    # 9. a cluster-admin binding to the stolen identity, then its first use
    crb = ev("attach_cluster_admin_role", a + 540, annotations=sa_reason)
    crb["objectRef"]["name"] = "ci-admin"
    for o in ("requestObject", "responseObject"):
        if o in crb:
            crb[o]["metadata"]["name"] = "ci-admin"
            crb[o]["subjects"] = [{"kind": "ServiceAccount", "name": "deployer",
                                   "namespace": "ci"}]
    events.append(crb)
    admin = reason("ci-admin", "cluster-admin", 'ServiceAccount "deployer/ci"')
    events.append(simple(a + 600, "list", "/api/v1/secrets", "secrets", annotations=admin))
    events.append(simple(a + 610, "list", "/api/v1/nodes", "nodes", annotations=admin))
    # 10. events deleted to cover tracks
    events.append(simple(a + 660, "deletecollection", "/api/v1/namespaces/ci/events", "events",
                         "ci", annotations=admin))
    # 11. a token minted for ci:builder, used from a third address
    events.append(simple(a + 700, "create", "/api/v1/namespaces/ci/serviceaccounts/builder/token",
                         "serviceaccounts", "ci", "builder", code=201, sub="token",
                         annotations=admin))
    builder = "system:serviceaccount:ci:builder"
    events.append(simple(a + 760, "list", "/api/v1/namespaces/ci/pods", "pods", "ci",
                         actor=builder, groups=["system:serviceaccounts",
                                                "system:serviceaccounts:ci",
                                                "system:authenticated"],
                         ip=OTHER_IP, ua="kubectl/v1.29.0 (linux/amd64) kubernetes/abcdef",
                         annotations=admin))
    # 12. a system:masters client certificate requested, self-approved, used
    uri = "/apis/certificates.k8s.io/v1/certificatesigningrequests"
    body = {"kind": "CertificateSigningRequest", "apiVersion": "certificates.k8s.io/v1",
            "metadata": {"name": "backdoor"},
            "spec": {"request": csr_pem("/CN=backdoor/O=system:masters"),
                     "signerName": "kubernetes.io/kube-apiserver-client",
                     "usages": ["client auth"]}}
    create = simple(a + 800, "create", uri, "certificatesigningrequests", name="backdoor",
                    code=201, annotations=admin)
    create["objectRef"]["apiGroup"] = "certificates.k8s.io"
    create["level"] = "RequestResponse"
    create["requestObject"] = body
    events.append(create)
    approved = copy.deepcopy(body)
    approved["status"] = {"conditions": [{"type": "Approved", "status": "True",
                                          "reason": "KubectlApprove"}]}
    approve = simple(a + 830, "update", uri + "/backdoor/approval", "certificatesigningrequests",
                     name="backdoor", sub="approval", annotations=admin)
    approve["objectRef"]["apiGroup"] = "certificates.k8s.io"
    approve["level"] = "RequestResponse"
    approve["requestObject"] = approved
    events.append(approve)
    events.append(simple(a + 900, "list", "/api/v1/namespaces", "namespaces", actor="backdoor",
                         groups=["system:masters", "system:authenticated"], ip=OTHER_IP,
                         ua="kubectl/v1.29.0 (linux/amd64) kubernetes/abcdef"))

    events += benign_real()
    events.sort(key=lambda e: e.get("stageTimestamp", e.get("timestamp")))
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w") as f:
        for e in events:
            f.write(json.dumps(e, separators=(",", ":")) + "\n")
    print("%d events -> %s" % (len(events), OUT))


if __name__ == "__main__":
    main()
