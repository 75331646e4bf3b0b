#!/usr/bin/env python3
"""Parses what tcpstack serves, with real parsers, for MetricsIT.

  parse_metrics.py prometheus < metrics.txt
      The Prometheus text format through prometheus_client's own parser
      (text_string_to_metric_families); prints one JSON object:
      {"FAMILY": {"type": T, "help": H, "samples": [[NAME, {LABELS}, VALUE], ...]}, ...}
  parse_metrics.py json < connections.json
      The JSON through Python's json module; prints {"total": N, "rows": [[STATE, LOCAL, REMOTE], ...]}.

Exits non-zero (with the parser's error) when the input does not parse.
"""
import json
import sys


def prometheus(text):
    from prometheus_client.parser import text_string_to_metric_families
    families = {}
    for family in text_string_to_metric_families(text):
        if family.name in families:
            raise SystemExit("family %s twice" % family.name)
        families[family.name] = {
            "type": family.type,
            "help": family.documentation,
            "samples": [[s.name, dict(s.labels), s.value] for s in family.samples],
        }
    return families


def connections(text):
    table = json.loads(text)
    rows = [[r["state"], "%s:%d" % (r["localAddress"], r["localPort"]),
             "%s:%d" % (r["remoteAddress"], r["remotePort"]),
             (r["info"] or {}).get("bytesIn", -1)] for r in table["connections"]]
    return {"total": table["total"], "truncated": table["truncated"], "rows": rows}


if __name__ == "__main__":
    data = sys.stdin.read()
    mode = sys.argv[1]
    result = prometheus(data) if mode == "prometheus" else connections(data)
    json.dump(result, sys.stdout)
    sys.stdout.write("\n")
