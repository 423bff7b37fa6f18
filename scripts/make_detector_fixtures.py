#!/usr/bin/env python3
"""Builds tests/data/detectors/<id>/{fires,quiet}/ from the real events in tests/data.

Real corpus files are copied unchanged. Where the corpus has no event for a case, the case is
constructed from a real event (named constructed_*), changing only what the case needs; the
comment in each constructed file's name says what it shows. Run from the repository root;
the output is committed, this script documents how it was made.
"""
import copy
import datetime
import json
import os
import shutil

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATA = os.path.join(ROOT, "tests", "data")
OUT = os.path.join(DATA, "detectors")


def load(rel):
    with open(os.path.join(DATA, rel)) as f:
        return json.loads(f.readline())


def write(det, kind, name, events):
    d = os.path.join(OUT, det, kind)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "w") as f:
        for e in events:
            f.write(json.dumps(e, separators=(",", ":")) + "\n")


def copy_real(det, kind, rel):
    d = os.path.join(OUT, det, kind)
    os.makedirs(d, exist_ok=True)
    shutil.copy(os.path.join(DATA, rel), os.path.join(d, os.path.basename(rel)))


def ts(base, seconds):
    t = base + datetime.timedelta(seconds=seconds)
    return t.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def secret_reads(user, names, spacing_s, start="2020-04-21T18:00:00.000000Z"):
    """Secret gets derived from the real secret create in Falco's corpus."""
    base_ev = load("falco/k8s_audit__create_secret.json")
    base = datetime.datetime.strptime(start, "%Y-%m-%dT%H:%M:%S.%fZ")
    out = []
    for i, (ns, name) in enumerate(names):
        e = copy.deepcopy(base_ev)
        e["auditID"] = "00000000-0000-4000-8000-%012d" % i
        e["verb"] = "get"
        e["requestURI"] = "/api/v1/namespaces/%s/secrets/%s" % (ns, name)
        e["objectRef"]["namespace"] = ns
        e["objectRef"]["name"] = name
        e["user"]["username"] = user
        e["responseStatus"]["code"] = 200
        e["requestReceivedTimestamp"] = ts(base, i * spacing_s)
        e["stageTimestamp"] = ts(base, i * spacing_s + 0.005)
        out.append(e)
    return out


def main():
    # Only the detectors this script builds are rebuilt; other families have their own scripts.
    for det in ["anonymous_request_allowed", "pod_exec_attach", "privileged_container",
                "secret_enumeration"]:
        if os.path.isdir(os.path.join(OUT, det)):
            shutil.rmtree(os.path.join(OUT, det))

    # anonymous_request_allowed
    det = "anonymous_request_allowed"
    copy_real(det, "fires", "falco/k8s_audit__anonymous_creates_namespace_foo.json")
    anon = load("falco/k8s_audit__anonymous_creates_namespace_foo.json")
    read = copy.deepcopy(anon)
    read.update(verb="list", requestURI="/api/v1/namespaces/kube-system/secrets", level="Metadata")
    read["objectRef"] = {"resource": "secrets", "namespace": "kube-system", "apiVersion": "v1"}
    read["user"] = {"username": "system:anonymous", "groups": ["system:unauthenticated"]}
    read["responseStatus"]["code"] = 200
    read.pop("requestObject", None)
    write(det, "fires", "constructed_anonymous_list_secrets_allowed.json", [read])
    copy_real(det, "quiet", "falco/k8s_audit__some-user_creates_namespace_foo.json")
    copy_real(det, "quiet", "falco/k8s_audit__minikube_creates_namespace_foo.json")
    denied = copy.deepcopy(read)
    denied["annotations"] = {"authorization.k8s.io/decision": "forbid",
                             "authorization.k8s.io/reason": ""}
    denied["responseStatus"] = {"metadata": {}, "status": "Failure", "reason": "Forbidden",
                                "code": 403}
    write(det, "quiet", "constructed_anonymous_list_secrets_forbidden.json", [denied])
    health = copy.deepcopy(read)
    health.update(verb="get", requestURI="/healthz")
    health.pop("objectRef")
    write(det, "quiet", "constructed_anonymous_healthz.json", [health])

    # pod_exec_attach
    det = "pod_exec_attach"
    copy_real(det, "fires", "falco/k8s_audit__exec_pod.json")
    copy_real(det, "fires", "falco/k8s_audit__attach_pod.json")
    ex = load("falco/k8s_audit__exec_pod.json")
    complete_only = copy.deepcopy(ex)  # a policy that omits ResponseStarted
    complete_only.update(stage="ResponseComplete")
    write(det, "fires", "constructed_exec_response_complete_only.json", [complete_only])
    forbidden = copy.deepcopy(ex)
    forbidden["annotations"]["authorization.k8s.io/decision"] = "forbid"
    forbidden["responseStatus"] = {"metadata": {}, "status": "Failure", "reason": "Forbidden",
                                   "code": 403}
    forbidden["stage"] = "ResponseComplete"
    write(det, "quiet", "constructed_exec_forbidden.json", [forbidden])
    copy_real(det, "quiet", "falco/k8s_audit__create_nginx_pod_privileged.json")
    # Both stages of one exec: one alert (checked by a unit test, not by the harness).
    both = copy.deepcopy(ex)
    both.update(stage="ResponseComplete", stageTimestamp="2018-10-26T13:40:00.000000Z")
    write(det, "fires", "constructed_exec_started_then_complete.json", [ex, both])

    # privileged_container
    det = "privileged_container"
    for f in ["k8s_audit__create_nginx_pod_privileged.json",
              "k8s_audit__create_nginx_pod_privileged_2nd_container.json",
              "k8s_audit__create_nginx_pod_no_secctx_1st_container_privileged_2nd_container.json"]:
        copy_real(det, "fires", "falco/" + f)
    dep = load("falco/k8s_audit__create_deployment.json")
    dep_priv = copy.deepcopy(dep)
    tmpl = dep_priv["requestObject"]["spec"]["template"]["spec"]
    tmpl["initContainers"] = [{"name": "setup", "image": "busybox:1.36",
                               "securityContext": {"privileged": True}}]
    write(det, "fires", "constructed_deployment_privileged_init_container.json", [dep_priv])
    for f in ["k8s_audit__create_nginx_pod_unprivileged.json", "k8s_audit__create_deployment.json",
              "psp__host_pid.json", "psp__privilege_escalation.json"]:
        copy_real(det, "quiet", "falco/" + f)
    status = load("falco/k8s_audit__create_nginx_pod_privileged.json")
    status.update(verb="update")
    status["objectRef"]["subresource"] = "status"
    status["objectRef"]["name"] = "nginx-deployment-5cdcc99dbf-rgw6z"
    status["responseStatus"]["code"] = 200
    write(det, "quiet", "constructed_pod_status_update_of_privileged_pod.json", [status])
    failed = load("falco/k8s_audit__create_nginx_pod_privileged.json")
    failed["responseStatus"] = {"metadata": {}, "status": "Failure", "reason": "Forbidden",
                                "code": 403}
    write(det, "quiet", "constructed_privileged_pod_create_rejected.json", [failed])

    # secret_enumeration (no enumeration in the corpus: constructed from a real secret event)
    det = "secret_enumeration"
    names = [("default", "db-password"), ("default", "api-token"), ("prod", "tls-cert"),
             ("prod", "stripe-key"), ("kube-system", "bootstrap-token-abc"),
             ("kube-system", "admin-token"), ("payments", "vault-root"), ("payments", "hmac"),
             ("ci", "registry-creds"), ("ci", "deploy-key"), ("monitoring", "grafana-admin"),
             ("monitoring", "alertmanager-webhook")]
    write(det, "fires", "constructed_one_user_reads_12_secrets_in_2m.jsonl",
          secret_reads("minikube-user", names, 10))
    write(det, "quiet", "constructed_same_secret_read_20_times.jsonl",
          secret_reads("minikube-user", [("default", "db-password")] * 20, 5))
    write(det, "quiet", "constructed_12_secrets_read_over_3_hours.jsonl",
          secret_reads("minikube-user", names, 900))
    write(det, "quiet", "constructed_kubelet_reads_12_secrets.jsonl",
          secret_reads("system:node:minikube", names, 10))
    copy_real(det, "quiet", "falco/k8s_audit__create_secret.json")


if __name__ == "__main__":
    main()
