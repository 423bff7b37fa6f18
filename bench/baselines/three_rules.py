#!/usr/bin/env python3
"""What a user would otherwise run: Python's json over JSON lines, three rules
(exec into a pod, anonymous request allowed, privileged container in a pod create).
Prints the count of each."""
import json
import sys

execs = anon = priv = 0
with open(sys.argv[1], "rb") as f:
    for line in f:
        try:
            e = json.loads(line)
        except ValueError:
            continue
        ref = e.get("objectRef") or {}
        if ref.get("subresource") in ("exec", "attach") and e.get("stage") == "ResponseStarted":
            execs += 1
        user = (e.get("user") or {}).get("username", "")
        if user in ("system:anonymous", "") and \
                (e.get("annotations") or {}).get("authorization.k8s.io/decision") == "allow" and \
                not e.get("requestURI", "").startswith(("/healthz", "/readyz", "/livez", "/version")):
            anon += 1
        if e.get("verb") == "create" and ref.get("resource") == "pods" and e.get("requestObject"):
            spec = e["requestObject"].get("spec") or {}
            for c in (spec.get("containers") or []) + (spec.get("initContainers") or []):
                if (c.get("securityContext") or {}).get("privileged"):
                    priv += 1
                    break
print(json.dumps({"exec": execs, "anonymous": anon, "privileged": priv}))
