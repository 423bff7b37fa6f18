#!/usr/bin/env python3
"""Real-shaped audit events for the Kafka integration tests (seeded, deterministic).

Every event is a copy of a real one (tests/data/public/audit2rbac_demo_v1_2022.log and the
Falco corpus tests/data/falco/*.json) with a fresh auditID, timestamps 2 ms apart (the whole
set spans less than secret_enumeration's 10-minute window, so the alerts do not depend on how
partitions interleave) and a username from a pool. Mixed in: secret enumeration bursts (10
distinct secrets read by one identity: one alert each) and near misses (9 secrets: quiet).

Writes to OUT_DIR:
  events.jsonl      one event per line, in production order (what `kaudit replay` reads)
  keyed.txt         "username<TAB>event" per line (kcat -K '\\t')
  eventlists.jsonl  the same events as EventLists of 25, one per line (unkeyed, as Fluent Bit)
  truth.json        counts: events, attackers, near_misses

Usage: kafka_events.py --count 100000 --out-dir DIR [--seed 1]
"""
import argparse
import copy
import datetime
import glob
import json
import os
import random
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "..", "data")


def templates():
    out = []
    with open(os.path.join(DATA, "public", "audit2rbac_demo_v1_2022.log")) as f:
        for line in f:
            line = line.strip()
            if line:
                out.append(json.loads(line))
    for path in sorted(glob.glob(os.path.join(DATA, "falco", "*.json"))):
        try:
            with open(path) as f:
                doc = json.load(f)
        except ValueError:
            continue
        items = doc.get("items", []) if doc.get("kind") == "EventList" else [doc]
        out.extend(items)
    # Small real events keep the test's volume modest (the big ones carry pod specs).
    return [e for e in out if e.get("kind") == "Event" and e.get("apiVersion") == "audit.k8s.io/v1"
            and isinstance(e.get("user"), dict) and len(json.dumps(e)) <= 1200]


def secret_get_template(tpls):
    for e in tpls:
        if (e.get("objectRef") or {}).get("resource") == "secrets":
            t = copy.deepcopy(e)
            break
    t["verb"] = "get"
    t["stage"] = "ResponseComplete"
    t["level"] = "Metadata"
    t.pop("requestObject", None)
    t.pop("responseObject", None)
    t["responseStatus"] = {"metadata": {}, "code": 200}
    t.setdefault("annotations", {})["authorization.k8s.io/decision"] = "allow"
    return t


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--count", type=int, default=100000)
    ap.add_argument("--out-dir", required=True)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--eventlists", action="store_true", help="also write eventlists.jsonl")
    a = ap.parse_args()
    rng = random.Random(a.seed)
    tpls = templates()
    secret = json.dumps(secret_get_template(tpls))
    tpl_text = [json.dumps(t) for t in tpls]
    # Many identities spread the keyed messages evenly over the partitions: the mock cluster keeps
    # only about 5 MB per partition, so a partition holding a few heavy users would lose its
    # oldest messages before a lagging consumer reads them.
    users = ["dev-%03d@example.com" % i for i in range(400)] + [
        "system:serviceaccount:kube-system:replicaset-controller", "system:kube-scheduler"]
    attackers = ["system:serviceaccount:ci:deployer-%d" % i for i in range(8)]
    near = ["mallory-%d@example.com" % i for i in range(4)]

    # Positions of the burst events: each identity reads its secrets 40 events apart.
    special = {}
    slots = sorted(rng.sample(range(0, a.count - 1000), len(attackers) + len(near)))
    for (who, n), start in zip([(u, 10) for u in attackers] + [(u, 9) for u in near], slots):
        pos = start
        for j in range(n):
            while pos in special:
                pos += 1
            special[pos] = (who, "ns-%d" % (j % 3), "token-%s-%d" % (who.split(":")[-1], j))
            pos += 40

    t0 = datetime.datetime(2024, 5, 1, 12, 0, 0, tzinfo=datetime.timezone.utc)
    os.makedirs(a.out_dir, exist_ok=True)
    events = []
    for i in range(a.count):
        if i in special:
            who, ns, name = special[i]
            e = json.loads(secret)
            e["user"] = {"username": who, "groups": ["system:serviceaccounts", "system:authenticated"]}
            e["objectRef"] = {"resource": "secrets", "namespace": ns, "name": name, "apiVersion": "v1"}
            e["requestURI"] = "/api/v1/namespaces/%s/secrets/%s" % (ns, name)
        else:
            e = json.loads(rng.choice(tpl_text))
            e["user"]["username"] = rng.choice(users)
        e.pop("impersonatedUser", None)  # the partition key is user.username
        e["auditID"] = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        t = t0 + datetime.timedelta(milliseconds=2 * i)
        ts = t.strftime("%Y-%m-%dT%H:%M:%S.") + "%06dZ" % t.microsecond
        e["requestReceivedTimestamp"] = ts
        e["stageTimestamp"] = ts
        if "timestamp" in e:
            e["timestamp"] = ts
        events.append(e)

    with open(os.path.join(a.out_dir, "events.jsonl"), "w") as f, \
         open(os.path.join(a.out_dir, "keyed.txt"), "w") as k:
        for e in events:
            line = json.dumps(e, separators=(",", ":"))
            f.write(line + "\n")
            k.write(e["user"]["username"] + "\t" + line + "\n")
    with open(os.path.join(a.out_dir, "eventlists.jsonl") if a.eventlists else os.devnull, "w") as f:
        for i in range(0, len(events) if a.eventlists else 0, 25):
            doc = {"kind": "EventList", "apiVersion": "audit.k8s.io/v1", "metadata": {},
                   "items": events[i:i + 25]}
            f.write(json.dumps(doc, separators=(",", ":")) + "\n")
    with open(os.path.join(a.out_dir, "truth.json"), "w") as f:
        json.dump({"events": len(events), "attackers": attackers, "near_misses": near}, f)


if __name__ == "__main__":
    main()
