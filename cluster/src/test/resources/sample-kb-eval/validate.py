#!/usr/bin/env python3
"""Validate eval/questions.jsonl against the sample knowledge base.

Checks that every line is a JSON object with the expected keys, that ids are
unique, and that every referenced document exists and contains the labelled
heading as a Markdown heading line. Run from the sample-kb folder or anywhere:

    python3 eval/validate.py
"""
import collections
import json
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
# The documents are the node's bundled sample (main resources); the questions live beside this script (test resources).
ROOT = os.path.join(HERE, "..", "..", "..", "main", "resources", "sample-kb")
QUESTIONS = os.path.join(HERE, "questions.jsonl")
KEYS = {"id", "lang", "question", "document", "heading", "answer"}
HEADING_RE = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")


def headings(path):
    result = []
    in_code = False
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.startswith("```"):
                in_code = not in_code
                continue
            m = None if in_code else HEADING_RE.match(line.rstrip("\n"))
            if m:
                result.append(m.group(2))
    return result


def main():
    errors = []
    ids = set()
    counts = collections.Counter()
    per_doc = collections.Counter()
    cache = {}
    with open(QUESTIONS, encoding="utf-8") as f:
        for n, raw in enumerate(f, 1):
            if not raw.strip():
                errors.append(f"line {n}: empty line")
                continue
            try:
                q = json.loads(raw)
            except json.JSONDecodeError as e:
                errors.append(f"line {n}: invalid JSON: {e}")
                continue
            if not isinstance(q, dict) or set(q) != KEYS:
                errors.append(f"line {n}: keys must be exactly {sorted(KEYS)}")
                continue
            qid = q["id"]
            if qid in ids:
                errors.append(f"line {n}: duplicate id {qid}")
            ids.add(qid)
            if q["lang"] not in ("zh", "en") or not str(qid).startswith(q["lang"] + "-"):
                errors.append(f"line {n}: bad lang/id {q['lang']}/{qid}")
            if not str(q["question"]).strip():
                errors.append(f"line {n}: empty question")
            doc = q["document"]
            if doc is None:
                if q["heading"] is not None:
                    errors.append(f"line {n}: unanswerable question must have heading null")
                counts[(q["lang"], "unanswerable")] += 1
                continue
            counts[(q["lang"], "answerable")] += 1
            per_doc[doc] += 1
            if not doc.startswith(q["lang"] + "/"):
                errors.append(f"line {n}: document {doc} is not in the {q['lang']}/ folder")
            path = os.path.join(ROOT, doc)
            if not os.path.isfile(path):
                errors.append(f"line {n}: document not found: {doc}")
                continue
            if doc not in cache:
                cache[doc] = headings(path)
            found = cache[doc].count(q["heading"])
            if found == 0:
                errors.append(f"line {n}: heading not found in {doc}: {q['heading']!r}")
            elif found > 1:
                errors.append(f"line {n}: heading occurs {found} times in {doc}: {q['heading']!r}")
            if not str(q["answer"]).strip():
                errors.append(f"line {n}: empty answer")

    print(f"questions: {len(ids)} unique ids")
    for (lang, kind), c in sorted(counts.items()):
        print(f"  {lang} {kind}: {c}")
    for doc, c in sorted(per_doc.items()):
        print(f"  {doc}: {c}")
    if errors:
        print(f"{len(errors)} error(s):")
        for e in errors:
            print("  " + e)
        return 1
    print("OK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
