#!/usr/bin/env python3
"""Prints the request body the benchmarks publish: the catalog's invoice.paid example as data.object,
its id the placeholder __ID__ and a metadata field __SENT__ for the latency stamp (metadata is a map of
strings in the invoice schema). bench/publish.lua and bench/publisher fill both in.

    bench/publish_template.py src/catalog/data/catalog.json > template.json
"""
import json
import sys

catalog = json.load(open(sys.argv[1]))
example = dict(next(t for t in catalog["event_types"] if t["name"] == "invoice.paid")["example"])
example["id"] = "__ID__"
example["metadata"] = {"sent_ns": "__SENT__"}
print(json.dumps({"type": "invoice.paid", "data": {"object": example}}, separators=(",", ":")))
