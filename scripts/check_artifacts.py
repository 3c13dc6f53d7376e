#!/usr/bin/env python3
"""The artifacts `sam build` made, as `sam deploy` would upload them.

Reads the template sam build wrote into its build folder: every function of it must
point at a folder holding an executable `bootstrap` built for the stack's architecture
(ELF machine aarch64 or x86-64). Prints each function's binary and its size; warns for a
binary over the 8 MiB budget. Exit 1 with what is missing.
Usage: check_artifacts.py BUILD_DIR ARCHITECTURE   (arm64 or x86_64)
"""
import os
import pathlib
import sys

from samtranslator.yaml_helper import yaml_parse

BUDGET = 8 * 1024 * 1024
# e_machine in the ELF header (bytes 18-19, little endian).
MACHINES = {"arm64": 183, "x86_64": 62}


def main():
    build_dir, arch = pathlib.Path(sys.argv[1]), sys.argv[2]
    template = yaml_parse((build_dir / "template.yaml").read_text())
    problems, rows = [], {}
    for name, resource in template["Resources"].items():
        if resource.get("Type") != "AWS::Serverless::Function":
            continue
        binary = resource.get("Metadata", {}).get("BuildProperties", {}).get("Binary", "?")
        bootstrap = build_dir / str(resource["Properties"].get("CodeUri")) / "bootstrap"
        if not bootstrap.is_file() or not os.access(bootstrap, os.X_OK):
            problems.append(f"{name}: no executable {bootstrap}")
            continue
        header = bootstrap.read_bytes()[:20]
        machine = int.from_bytes(header[18:20], "little")
        if header[:4] != b"\x7fELF" or machine != MACHINES[arch]:
            problems.append(f"{name}: {bootstrap} is not an ELF binary for {arch}")
        rows.setdefault(binary, (bootstrap, []))[1].append(name)
    print(f"\n{'function':<10} {'bytes':>10}  ({arch}, from sam build)")
    for binary, (bootstrap, names) in sorted(rows.items()):
        size = bootstrap.stat().st_size
        print(f"{binary:<10} {size:>10,}  {size / 1048576:.1f} MiB  {', '.join(names)}")
        if size > BUDGET:
            print(f"warning: {binary} is over the 8 MiB budget", file=sys.stderr)
    for problem in problems:
        print(f"error: {problem}", file=sys.stderr)
    return 1 if problems or not rows else 0


if __name__ == "__main__":
    sys.exit(main())
