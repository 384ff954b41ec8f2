#!/usr/bin/env python3
"""Public items per crate, from rustdoc's HTML (run `cargo doc --no-deps` first).

Counts the items `all.html` lists (structs, enums, traits, functions, macros, constants, type
aliases; re-exports included, as a user sees them) and the inherent public methods of the types
that carry most of each crate's API. Usage: python3 scripts/api_items.py TARGET_DOC_DIR CRATE...
"""
import html
import os
import re
import sys


def items(doc, crate):
    text = open(os.path.join(doc, crate, "all.html"), encoding="utf-8").read()
    kinds = {}
    for kind, body in re.findall(r'<h3 id="(\w+)">.*?</h3><ul class="all-items">(.*?)</ul>', text, re.S):
        kinds[kind] = len(re.findall(r"<li>", body))
    return kinds


def methods(doc, crate, type_name):
    found = []
    for dirpath, _, names in os.walk(os.path.join(doc, crate)):
        for prefix in ("struct", "enum"):
            if f"{prefix}.{type_name}.html" in names:
                found.append(os.path.join(dirpath, f"{prefix}.{type_name}.html"))
    for path in sorted(found, key=len)[:1]:
        if os.path.exists(path):
            text = open(path, encoding="utf-8").read()
            # Inherent impls only: the part before the trait implementations.
            inherent = text.split('id="trait-implementations"')[0]
            names = set(re.findall(r'id="method\.(\w+)"', inherent))
            return len(names)
    return None


def main():
    doc, crates = sys.argv[1], sys.argv[2:]
    for crate in crates:
        kinds = items(doc, crate)
        total = sum(kinds.values())
        detail = ", ".join(f"{n} {k}" for k, n in sorted(kinds.items()))
        print(f"{crate}: {total} items ({detail})")
        for t in ("Connection", "MessageSocket", "Session", "StreamSocket"):
            n = methods(doc, crate, t)
            if n is not None:
                print(f"  {t}: {n} inherent methods")


if __name__ == "__main__":
    main()
