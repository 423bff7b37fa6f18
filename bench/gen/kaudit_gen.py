#!/usr/bin/env python3
"""Seeded generator of realistic Kubernetes audit logs (JSON lines, audit.k8s.io/v1).

Calibration (bench/gen/mix.tsv.gz, made by calibrate.py from a real 16,563-event kubeadm
capture): every background event is a real request shape (user, verb, resource, subresource,
namespace, name, requestURI, stage, response code) drawn with its real frequency; watch and
list noise from nodes and controllers, discovery calls, 403s and 404s come with it. Event shape
and field order are kube-apiserver's. About 10% of the events are RequestResponse writes that
carry full pod specs with managedFields: kubelets' pods/status updates and controllers'
workload writes, hardened as a well-run cluster's are.

Injected attacks, with a ground-truth file of the alerts kaudit must raise for them (per
detector, counting only alerts whose actor is an attacker identity):
  exec into pods, anonymous reads allowed, privileged pods mounting the host's /,
  secret enumeration by a stolen service-account token, cluster-admin bindings.

Usage: kaudit_gen.py --bytes 1G --seed 1 --out corpus.log --truth truth.json
"""
import argparse
import gzip
import json
import os
import random
import sys
import time
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))

ATTACKER = "mallory@example.com"
STOLEN_SA = "system:serviceaccount:default:ci-deployer"
ATTACKERS = [ATTACKER, STOLEN_SA, "system:anonymous"]

AGENTS = {
    "node": "kubelet/v1.29.2 (linux/amd64) kubernetes/4b8e819",
    "sa": "{}/v1.29.2 (linux/amd64) kubernetes/4b8e819",
    "admin": "kubectl/v1.29.2 (linux/amd64) kubernetes/4b8e819",
    "helm": "Helm/3.14.2",
    "anon": "kube-probe/1.29",
}


def parse_size(s):
    units = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}
    s = s.strip().upper().rstrip("B").rstrip("I")
    if s and s[-1] in units:
        return int(float(s[:-1]) * units[s[-1]])
    return int(s)


def load_mix():
    rows, weights = [], []
    with gzip.open(os.path.join(HERE, "mix.tsv.gz"), "rt") as f:
        next(f)
        for line in f:
            c = line.rstrip("\n").split("\t")
            weights.append(int(c[0]))
            rows.append(c[1:])
    return rows, weights


def groups_for(user):
    if user.startswith("system:serviceaccount:"):
        ns = user.split(":")[2]
        return ["system:serviceaccounts", "system:serviceaccounts:" + ns, "system:authenticated"]
    if user.startswith("system:node:"):
        return ["system:nodes", "system:authenticated"]
    if user == "system:anonymous":
        return ["system:unauthenticated"]
    if user in ("kubernetes-admin", ATTACKER):
        return ["system:masters", "system:authenticated"]
    return ["system:authenticated"]


def agent_for(user):
    if user.startswith("system:node:"):
        return AGENTS["node"]
    if user.startswith("system:serviceaccount:"):
        return AGENTS["sa"].format(user.split(":")[-1])
    if user == "system:anonymous":
        return AGENTS["anon"]
    if user.startswith("system:"):
        return AGENTS["sa"].format(user.split(":")[-1])
    return AGENTS["admin"]


def js(s):
    return json.dumps(s)


class Clock:
    def __init__(self, rng):
        self.t = 1767225600.0  # 2026-01-01T00:00:00Z
        self.rng = rng

    def tick(self):
        self.t += self.rng.expovariate(2000.0)  # about 2,000 events/s
        return self.t

    @staticmethod
    def fmt(t):
        s = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t))
        return "%s.%06dZ" % (s, int((t % 1) * 1e6))


def event(aid, stage, uri, verb, user, ip, obj, code, t0, t1, decision="allow", level="Metadata",
          req=None, resp=None, reason="", impersonate=None):
    parts = ['{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"%s","auditID":"%s","stage":"%s",'
             '"requestURI":%s,"verb":"%s","user":{"username":%s,"groups":%s}' % (
                 level, aid, stage, js(uri), verb, js(user), json.dumps(groups_for(user), separators=(",", ":")))]
    if impersonate:
        parts.append(',"impersonatedUser":{"username":%s}' % js(impersonate))
    parts.append(',"sourceIPs":["%s"],"userAgent":%s' % (ip, js(agent_for(user))))
    if obj:
        parts.append(',"objectRef":' + json.dumps(obj, separators=(",", ":")))
    status = '{"metadata":{},"code":%d}' % code
    if code >= 400:
        status = '{"metadata":{},"status":"Failure","message":"request failed","reason":"%s","code":%d}' % (
            {403: "Forbidden", 404: "NotFound", 409: "AlreadyExists"}.get(code, "InternalError"), code)
    parts.append(',"responseStatus":' + status)
    if req is not None:
        parts.append(',"requestObject":' + req)
    if resp is not None:
        parts.append(',"responseObject":' + resp)
    parts.append(',"requestReceivedTimestamp":"%s","stageTimestamp":"%s"' % (Clock.fmt(t0), Clock.fmt(t1)))
    parts.append(',"annotations":{"authorization.k8s.io/decision":"%s","authorization.k8s.io/reason":%s}}' % (
        decision, js(reason)))
    return "".join(parts)


def objref(res, sub, ns, name, group=""):
    o = {"resource": res}
    if ns:
        o["namespace"] = ns
    if name:
        o["name"] = name
    if sub:
        o["subresource"] = sub
    if group:
        o["apiGroup"] = group
    o["apiVersion"] = "v1" if not group else "v1"
    return o


def pod_object(rng, ns, name, privileged=False, host_root=False, with_status=True):
    sc = {"allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]},
          "readOnlyRootFilesystem": True, "runAsNonRoot": True, "runAsUser": 10001,
          "seccompProfile": {"type": "RuntimeDefault"}}
    if privileged:
        sc = {"privileged": True}
    containers = [{"name": "app", "image": "registry.example.com/shop/app:1.%d.%d" % (rng.randint(0, 9), rng.randint(0, 99)),
                   "ports": [{"containerPort": 8080, "protocol": "TCP"}],
                   "resources": {"limits": {"cpu": "500m", "memory": "256Mi"}, "requests": {"cpu": "100m", "memory": "128Mi"}},
                   "volumeMounts": [{"name": "kube-api-access", "mountPath": "/var/run/secrets/kubernetes.io/serviceaccount", "readOnly": True}],
                   "securityContext": sc, "imagePullPolicy": "IfNotPresent",
                   "terminationMessagePath": "/dev/termination-log", "terminationMessagePolicy": "File"}]
    volumes = [{"name": "kube-api-access", "projected": {"sources": [{"serviceAccountToken": {"expirationSeconds": 3607, "path": "token"}}]}}]
    if host_root:
        volumes.append({"name": "host", "hostPath": {"path": "/", "type": ""}})
        containers[0]["volumeMounts"].append({"name": "host", "mountPath": "/host"})
    managed = [{"manager": "kube-controller-manager", "operation": "Update", "apiVersion": "v1",
                "time": "2026-01-01T00:00:00Z", "fieldsType": "FieldsV1",
                "fieldsV1": {"f:metadata": {"f:generateName": {}, "f:labels": {".": {}, "f:app": {}, "f:pod-template-hash": {}},
                                            "f:ownerReferences": {".": {}, 'k:{"uid":"%s"}' % uuid.UUID(int=rng.getrandbits(128)): {}}},
                             "f:spec": {"f:containers": {'k:{"name":"app"}': {".": {}, "f:image": {}, "f:imagePullPolicy": {}, "f:name": {},
                                                                               "f:ports": {".": {}, 'k:{"containerPort":8080,"protocol":"TCP"}': {".": {}, "f:containerPort": {}, "f:protocol": {}}},
                                                                               "f:resources": {".": {}, "f:limits": {".": {}, "f:cpu": {}, "f:memory": {}}},
                                                                               "f:securityContext": {".": {}, "f:allowPrivilegeEscalation": {}, "f:capabilities": {".": {}, "f:drop": {}}}}},
                                        "f:dnsPolicy": {}, "f:enableServiceLinks": {}, "f:restartPolicy": {}, "f:schedulerName": {},
                                        "f:securityContext": {}, "f:terminationGracePeriodSeconds": {}}}},
               {"manager": "kubelet", "operation": "Update", "apiVersion": "v1", "time": "2026-01-01T00:00:05Z",
                "fieldsType": "FieldsV1", "subresource": "status",
                "fieldsV1": {"f:status": {"f:conditions": {'k:{"type":"Ready"}': {".": {}, "f:lastProbeTime": {}, "f:lastTransitionTime": {}, "f:status": {}, "f:type": {}}},
                                          "f:containerStatuses": {}, "f:hostIP": {}, "f:phase": {}, "f:podIP": {}, "f:podIPs": {".": {}, 'k:{"ip":"10.244.1.7"}': {".": {}, "f:ip": {}}}, "f:startTime": {}}}}]
    pod = {"kind": "Pod", "apiVersion": "v1",
           "metadata": {"name": name, "generateName": name.rsplit("-", 1)[0] + "-", "namespace": ns,
                        "uid": str(uuid.UUID(int=rng.getrandbits(128))), "resourceVersion": str(rng.randint(10**6, 10**7)),
                        "creationTimestamp": "2026-01-01T00:00:00Z", "labels": {"app": "shop", "pod-template-hash": "6d4cf56db6"},
                        "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": name.rsplit("-", 1)[0],
                                             "uid": str(uuid.UUID(int=rng.getrandbits(128))), "controller": True, "blockOwnerDeletion": True}],
                        "managedFields": managed},
           "spec": {"volumes": volumes, "containers": containers, "restartPolicy": "Always",
                    "terminationGracePeriodSeconds": 30, "dnsPolicy": "ClusterFirst", "serviceAccountName": "shop",
                    "serviceAccount": "shop", "nodeName": "k8s-node-%d" % rng.randint(1, 3),
                    "securityContext": {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}},
                    "schedulerName": "default-scheduler", "enableServiceLinks": True}}
    if with_status:
        pod["status"] = {"phase": "Running", "conditions": [{"type": "Ready", "status": "True", "lastProbeTime": None,
                                                              "lastTransitionTime": "2026-01-01T00:00:05Z"}],
                         "hostIP": "192.168.1.%d" % rng.randint(2, 250), "podIP": "10.244.1.7", "podIPs": [{"ip": "10.244.1.7"}],
                         "startTime": "2026-01-01T00:00:01Z",
                         "containerStatuses": [{"name": "app", "ready": True, "restartCount": 0, "started": True,
                                                "image": containers[0]["image"], "imageID": "registry.example.com/shop/app@sha256:" + "%064x" % rng.getrandbits(256),
                                                "containerID": "containerd://" + "%064x" % rng.getrandbits(256),
                                                "state": {"running": {"startedAt": "2026-01-01T00:00:02Z"}}}]}
    return json.dumps(pod, separators=(",", ":"))


class Gen:
    def __init__(self, seed, target, out, attack_every):
        self.rng = random.Random(seed)
        self.clock = Clock(self.rng)
        self.target = target
        self.out = out
        self.written = 0
        self.events = 0
        self.rr = 0
        self.attack_every = attack_every
        self.expected = {"pod_exec_attach": 0, "anonymous_request_allowed": 0, "privileged_container": 0,
                         "host_path_volume": 0, "secret_enumeration": 0, "cluster_admin_binding": 0}
        self.scenarios = {}
        self.attackers = list(ATTACKERS)
        self.rows, self.weights = load_mix()
        self.cum = []
        acc = 0
        for w in self.weights:
            acc += w
            self.cum.append(acc)

    def uid(self):
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def emit(self, line):
        self.out.write(line)
        self.out.write("\n")
        self.written += len(line) + 1
        self.events += 1

    def ip(self, user):
        if user.startswith("system:node:") or user.startswith("system:serviceaccount:") or user.startswith("system:"):
            return "192.168.1.%d" % (hash(user) % 200 + 2)
        return "10.20.0.%d" % self.rng.randint(2, 250)

    def background(self):
        import bisect
        r = self.rows[bisect.bisect_right(self.cum, self.rng.randrange(self.cum[-1]))]
        user, verb, res, sub, ns, name, uri, stage, code = r
        code = int(code)
        t1 = self.clock.tick()
        t0 = t1 - self.rng.uniform(0.0005, 0.02)
        obj = objref(res, sub, ns, name) if res else None
        decision = "forbid" if code == 403 else "allow"
        self.emit(event(self.uid(), stage, uri, verb, user, self.ip(user), obj, code, t0, t1, decision))

    def pod_write(self):
        """A RequestResponse pod write with full spec and managedFields (benign, hardened)."""
        t1 = self.clock.tick()
        t0 = t1 - self.rng.uniform(0.002, 0.03)
        ns = self.rng.choice(["shop", "payments", "web", "batch"])
        name = "shop-6d4cf56db6-%05x" % self.rng.getrandbits(20)
        node = "system:node:k8s-node-%d" % self.rng.randint(1, 3)
        pod = pod_object(self.rng, ns, name)
        if self.rng.random() < 0.6:  # kubelet status update
            uri = "/api/v1/namespaces/%s/pods/%s/status" % (ns, name)
            self.emit(event(self.uid(), "ResponseComplete", uri, "patch", node, self.ip(node),
                            objref("pods", "status", ns, name), 200, t0, t1, level="RequestResponse",
                            req='{"status":{"conditions":[{"type":"Ready","status":"True"}]}}', resp=pod))
        else:  # replicaset-controller creates a pod
            user = "system:serviceaccount:kube-system:replicaset-controller"
            uri = "/api/v1/namespaces/%s/pods" % ns
            self.emit(event(self.uid(), "ResponseComplete", uri, "create", user, self.ip(user),
                            objref("pods", "", ns, ""), 201, t0, t1, level="RequestResponse",
                            req=pod_object(self.rng, ns, name, with_status=False), resp=pod))
        self.rr += 1

    # ---- attacks ----
    def attack(self):
        kind = self.rng.choice(["exec", "anonymous", "privileged", "secrets", "binding"])
        self.scenarios[kind] = self.scenarios.get(kind, 0) + 1
        t1 = self.clock.tick()
        if kind == "exec":
            ns, name = "payments", "api-7d9f8b-%05x" % self.rng.getrandbits(20)
            uri = "/api/v1/namespaces/%s/pods/%s/exec?command=sh&command=-c&command=cat+%%2Fetc%%2Fshadow&container=api&stdin=true&stdout=true&tty=true" % (ns, name)
            self.emit(event(self.uid(), "ResponseStarted", uri, "create", ATTACKER, "203.0.113.7",
                            objref("pods", "exec", ns, name), 101, t1 - 0.01, t1, level="Request"))
            self.expected["pod_exec_attach"] += 1
        elif kind == "anonymous":
            uri = "/api/v1/namespaces/kube-system/secrets"
            self.emit(event(self.uid(), "ResponseComplete", uri, "list", "system:anonymous", "198.51.100.23",
                            objref("secrets", "", "kube-system", ""), 200, t1 - 0.01, t1))
            self.expected["anonymous_request_allowed"] += 1
        elif kind == "privileged":
            ns, name = "default", "debug-%05x" % self.rng.getrandbits(20)
            pod = pod_object(self.rng, ns, name, privileged=True, host_root=True, with_status=False)
            self.emit(event(self.uid(), "ResponseComplete", "/api/v1/namespaces/default/pods", "create", ATTACKER,
                            "203.0.113.7", objref("pods", "", ns, name), 201, t1 - 0.02, t1,
                            level="RequestResponse", req=pod, resp=pod))
            self.expected["privileged_container"] += 1
            self.expected["host_path_volume"] += 1
            self.rr += 1
        elif kind == "secrets":
            # 20 distinct secrets in about a minute by a token not seen before: one
            # secret_enumeration alert (the detector alerts once per identity per window, so
            # each scenario uses its own stolen service account).
            user = "%s-%d" % (STOLEN_SA, self.scenarios[kind])
            self.attackers.append(user)
            for i in range(20):
                t = self.clock.tick() + i * 3.0
                ns = ["payments", "shop", "kube-system", "monitoring"][i % 4]
                name = "secret-%d-%05x" % (i, self.rng.getrandbits(20))
                self.emit(event(self.uid(), "ResponseComplete", "/api/v1/namespaces/%s/secrets/%s" % (ns, name), "get",
                                user, "203.0.113.99", objref("secrets", "", ns, name), 200, t - 0.005, t))
            self.clock.t += 61.0
            self.expected["secret_enumeration"] += 1
        elif kind == "binding":
            name = "pwn-%05x" % self.rng.getrandbits(20)
            body = json.dumps({"kind": "ClusterRoleBinding", "apiVersion": "rbac.authorization.k8s.io/v1",
                               "metadata": {"name": name},
                               "subjects": [{"kind": "User", "apiGroup": "rbac.authorization.k8s.io", "name": "mallory"}],
                               "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "cluster-admin"}},
                              separators=(",", ":"))
            self.emit(event(self.uid(), "ResponseComplete", "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings", "create",
                            ATTACKER, "203.0.113.7", objref("clusterrolebindings", "", "", name, "rbac.authorization.k8s.io"),
                            201, t1 - 0.01, t1, level="RequestResponse", req=body, resp=body))
            self.expected["cluster_admin_binding"] += 1
            self.rr += 1

    def run(self):
        n = 0
        while self.written < self.target:
            n += 1
            if n % self.attack_every == 0:
                self.attack()
            elif self.rng.random() < 0.10:
                self.pod_write()
            else:
                self.background()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bytes", default="100M", help="approximate output size (e.g. 100M, 1G)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", required=True)
    ap.add_argument("--truth", required=True, help="ground-truth JSON written here")
    ap.add_argument("--attack-every", type=int, default=20000, help="one attack scenario per N events")
    a = ap.parse_args()
    with open(a.out, "w", buffering=1 << 22) as out:
        g = Gen(a.seed, parse_size(a.bytes), out, a.attack_every)
        g.run()
    truth = {"seed": a.seed, "bytes": g.written, "events": g.events, "request_response_events": g.rr,
             "attackers": g.attackers, "scenarios": g.scenarios, "expected_alerts": g.expected}
    with open(a.truth, "w") as f:
        json.dump(truth, f, indent=2)
    print(json.dumps(truth), file=sys.stderr)


if __name__ == "__main__":
    main()
