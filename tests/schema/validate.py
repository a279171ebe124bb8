#!/usr/bin/env python3
"""Validate every line of NDJSON files against man/smmutrace-ndjson.schema.json.

Usage: validate.py FILE... (directories: every *.ndjson inside).  Exits 1 on
the first invalid record, printing it and the reason; prints how many
records of each type were checked.
"""
import collections
import json
import os
import sys

import jsonschema

HERE = os.path.dirname(os.path.abspath(__file__))
SCHEMA = os.path.join(HERE, "..", "..", "man", "smmutrace-ndjson.schema.json")


def files(args):
    for a in args:
        if os.path.isdir(a):
            for name in sorted(os.listdir(a)):
                if name.endswith(".ndjson"):
                    yield os.path.join(a, name)
        else:
            yield a


def main():
    schema = json.load(open(SCHEMA))
    jsonschema.Draft7Validator.check_schema(schema)
    validator = jsonschema.Draft7Validator(schema)
    counts = collections.Counter()
    nfiles = 0
    for path in files(sys.argv[1:]):
        nfiles += 1
        with open(path, encoding="utf-8") as f:
            for n, line in enumerate(f, 1):
                rec = json.loads(line)
                errors = sorted(validator.iter_errors(rec), key=lambda e: e.path)
                if errors:
                    print(f"{path}:{n}: invalid {rec.get('type')} record:", file=sys.stderr)
                    for e in errors[:5]:
                        print(f"  {list(e.path)}: {e.message[:300]}", file=sys.stderr)
                    return 1
                counts[rec["type"]] += 1
    if not sum(counts.values()):
        print("validate: no records found", file=sys.stderr)
        return 1
    print("  SCHEMA   %d records valid in %d files (%s)" % (
        sum(counts.values()), nfiles,
        ", ".join("%s %d" % kv for kv in sorted(counts.items()))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
