#!/usr/bin/env python3
"""Lines of non-test code per crate, and the largest source files.

Counts non-blank lines that are not comments (`//`, `//!`, `///`) in `src/` of each library
crate, leaving out test files (`tests.rs`, `*_tests.rs`, anything under a `tests/` folder,
`testkit.rs`) and `#[cfg(test)] mod ... { }` blocks. Usage: python3 scripts/loc.py, from the repository root
"""
import os
import re
import sys

ROOT = os.getcwd()
CRATES = [c for c in ["tether-proto", "tether-socket", "tether-net", "tether-std", "tether-tokio", "tether-cli"] if os.path.isdir(os.path.join(ROOT, "crates", c))]


def is_test_file(path):
    name = os.path.basename(path)
    return (
        name == "tests.rs"
        or name.endswith("_tests.rs")
        or name == "testkit.rs"
        or f"{os.sep}tests{os.sep}" in path
    )


def code_lines(text):
    lines = text.split("\n")
    count = 0
    skip_depth = None
    pending_cfg_test = False
    depth = 0
    for line in lines:
        stripped = line.strip()
        if skip_depth is not None:
            depth += line.count("{") - line.count("}")
            if depth <= skip_depth:
                skip_depth = None
            continue
        if stripped.startswith("#[cfg(test)]") or stripped.startswith("#[cfg(all(test"):
            pending_cfg_test = True
            continue
        if pending_cfg_test and re.match(r"(pub(\(crate\))? )?mod \w+ *\{", stripped):
            skip_depth = depth
            depth += line.count("{") - line.count("}")
            pending_cfg_test = False
            continue
        if pending_cfg_test and re.match(r"(pub(\(crate\))? )?mod \w+;", stripped):
            pending_cfg_test = False
            continue
        pending_cfg_test = False
        depth += line.count("{") - line.count("}")
        if not stripped or stripped.startswith("//"):
            continue
        count += 1
    return count


# Modules behind optional features (integrations, not the drive loop): counted apart.
OPTIONAL = {
    "tether-tokio": [os.path.join("src", "web") + os.sep, os.path.join("src", "axum.rs"),
                     os.path.join("src", "redis") + os.sep],
}


def main():
    totals = {}
    optional = {}
    files = []
    for crate in CRATES:
        src = os.path.join(ROOT, "crates", crate, "src")
        total = 0
        for dirpath, _, names in os.walk(src):
            for name in names:
                if not name.endswith(".rs"):
                    continue
                path = os.path.join(dirpath, name)
                with open(path, encoding="utf-8") as f:
                    text = f.read()
                files.append((len(text.split("\n")), os.path.relpath(path, ROOT)))
                if is_test_file(path):
                    continue
                rel = os.path.relpath(path, os.path.join(ROOT, "crates", crate))
                if any(rel.startswith(o) for o in OPTIONAL.get(crate, [])):
                    optional[crate] = optional.get(crate, 0) + code_lines(text)
                    continue
                total += code_lines(text)
        totals[crate] = total
    core = totals["tether-proto"]
    print("crate            code lines  ÷ core")
    for crate, total in totals.items():
        print(f"{crate:16} {total:10}  {total / core:5.2f}")
    for crate, total in optional.items():
        print(f"  + {crate} optional features (hyper/HTTP/2, axum, redis): {total}")
    print("\nlargest source files (all lines):")
    for lines, path in sorted(files, reverse=True)[:8]:
        print(f"{lines:6}  {path}", flush=True)
    over = [p for n, p in files if n > 800]
    if over:
        print("\nover 800 lines:", ", ".join(over))
        sys.exit(1)


if __name__ == "__main__":
    main()
