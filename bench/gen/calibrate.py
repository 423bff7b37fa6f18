#!/usr/bin/env python3
"""Derives bench/gen/mix.tsv.gz from the real 16,563-event capture of a kubeadm cluster
(../shared/data/public/hkerma_perfspec_audit-logs.csv, hkerma/kubernetes-event-dataset,
see that folder's MANIFEST.tsv). Each row of the mix is one distinct request shape with its
count: user, verb, resource, subresource, namespace, name, requestURI, stage, code. The
generator samples rows by count, so the synthetic traffic has the real mix of users, verbs,
resources, codes and stages. Run once; the output is committed."""
import collections
import csv
import gzip
import os
import re
import sys

src = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
    os.path.dirname(__file__), "..", "..", "..", "shared", "data", "public",
    "hkerma_perfspec_audit-logs.csv")
rows = collections.Counter()
with open(src, errors="replace", newline="") as f:
    for r in csv.reader(f):
        if len(r) < 12 or r[10] not in ("ResponseComplete", "ResponseStarted"):
            continue  # the last row of the capture is truncated
        user, verb, res, sub, name, uri, stage, code = r[2], r[3], r[4], r[5], r[6], r[8], r[10], r[11]
        m = re.search(r"/namespaces/([^/?]+)", uri)
        ns = m.group(1) if m else ""
        # Volatile query parameters make every watch unique; keep the shape.
        uri = re.sub(r"resourceVersion=\d+", "resourceVersion=0", uri)
        uri = re.sub(r"timeout=[0-9a-z]+&timeoutSeconds=\d+", "timeout=5m&timeoutSeconds=300", uri)
        rows[(user, verb, res, sub, ns, name, uri, stage, code)] += 1
out = os.path.join(os.path.dirname(__file__), "mix.tsv.gz")
with gzip.open(out, "wt") as f:
    f.write("count\tuser\tverb\tresource\tsubresource\tnamespace\tname\trequestURI\tstage\tcode\n")
    for k, n in rows.most_common():
        f.write("\t".join([str(n)] + [x.replace("\t", " ") for x in k]) + "\n")
print(f"{sum(rows.values())} events, {len(rows)} distinct shapes -> {out}")
