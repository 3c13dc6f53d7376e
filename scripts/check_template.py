#!/usr/bin/env python3
"""Every function crate in the workspace has a resource in template.yaml, and every
function in the template is built from a workspace binary. Exit 1 with the mismatch."""
import pathlib
import re
import sys

root = pathlib.Path(__file__).resolve().parent.parent
workspace = (root / "Cargo.toml").read_text()
members = re.search(r"members\s*=\s*\[(.*?)\]", workspace, re.S).group(1)
functions = set()
for member in re.findall(r'"([^"]+)"', members):
    if member.startswith("functions/"):
        manifest = (root / member / "Cargo.toml").read_text()
        functions.update(re.findall(r'\[\[bin\]\]\s*name\s*=\s*"([^"]+)"', manifest))

template = (root / "template.yaml").read_text()
binaries = re.findall(r"^\s+Binary:\s*(\S+)\s*$", template, re.M)
in_template = set(binaries)
serverless_functions = len(re.findall(r"^\s+Type:\s*AWS::Serverless::Function\s*$", template, re.M))

problems = []
for name in sorted(functions - in_template):
    problems.append(f"function crate binary {name!r} has no resource in template.yaml")
for name in sorted(in_template - functions):
    problems.append(f"template.yaml builds {name!r}, which no functions/* crate provides")
# Several functions may run one binary (the events consumer and its scheduler), but
# every function must name the binary it runs.
if serverless_functions != len(binaries):
    problems.append(f"{serverless_functions} functions in template.yaml but {len(binaries)} BuildProperties.Binary entries")
# Every path `cargo lambda watch` serves locally is routed by the HTTP API to the same
# function, so one base URL works the same locally and in AWS.
router = re.search(r"\[workspace\.metadata\.lambda\.watch\.router\](.*?)(?:\n\[|\Z)", workspace, re.S)
watch_routes = re.findall(r'^"([^"]+)"\s*=\s*"([^"]+)"', router.group(1) if router else "", re.M)
api_routes = re.findall(
    r'RouteKey:\s*"(\S+) (\S+)"\s*\n\s*Target:\s*!Sub\s*"integrations/\$\{(\w+)Integration\}"', template
)
# The $default route takes whatever no other route matches, so it serves the watch
# router's catch-alls of a whole prefix ("/{*rest}", "/store/{*rest}").
default_targets = {
    t.lower()
    for t in re.findall(r'RouteKey:\s*"\$default"\s*\n\s*Target:\s*!Sub\s*"integrations/\$\{(\w+)Integration\}"', template)
}
for path, function in watch_routes:
    api_path = re.sub(r"\{\*\w+\}", "{proxy+}", path)
    targets = {target.lower() for _, p, target in api_routes if p == api_path}
    if re.fullmatch(r"/(\w+/)?(\{\*\w+\})?", path):
        targets |= default_targets
    if function not in targets:
        problems.append(f"the HTTP API does not route {path} to the {function} function (watch does)")
if problems:
    print("\n".join(problems), file=sys.stderr)
    sys.exit(1)
print(f"template.yaml and the workspace agree on {len(functions)} functions: {', '.join(sorted(functions))}")
print(f"the HTTP API routes all {len(watch_routes)} paths of the watch router to the same functions")
