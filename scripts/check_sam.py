#!/usr/bin/env python3
"""What the deployed stack lets through, checked on the template as SAM expands it.

Runs SAM's own translator (from the SAM CLI venv) on template.yaml, then, with and
without the edge (EnableEdge=false and true, other parameters at their defaults):
  - every function URL without auth (AuthType NONE) grants anyone both
    lambda:InvokeFunctionUrl and lambda:InvokeFunction (InvokedViaFunctionUrl), which a
    function URL needs since October 2025; SAM adds these only for a literal NONE;
  - every function URL with AWS_IAM is an origin of the distribution behind Origin
    Access Control, and grants the distribution (and no one else) both actions;
  - with the edge, catalog and content GETs go to their function's origin, cached, and
    the webhooks and every other path go to the HTTP API, uncached.
Exit 1 with what is wrong. Usage: check_sam.py [template.yaml]
"""
import json
import os
import pathlib
import sys

from samtranslator.translator.transform import transform
from samtranslator.yaml_helper import yaml_parse

CACHING_DISABLED = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"
# The edge's paths: (a request path, the origin that must serve it, cached or not).
EDGE_PATHS = [
    ("/store/products", "products", True),
    ("/store/products/prod_1", "products", True),
    ("/store/product-categories", "products", True),
    ("/store/collections/pcol_1", "products", True),
    ("/store/regions", "products", True),
    ("/content/pages", "content", True),
    ("/content/webhooks/strapi", "api", False),
    ("/store/carts/cart_1/complete", "api", False),
    ("/store/customers/me", "api", False),
    ("/admin/products", "api", False),
    ("/auth/customer/emailpass", "api", False),
    ("/hooks/payment/stripe_stripe", "api", False),
]


class NoManagedPolicies:
    def load(self):
        return {}


def expand(path):
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    text = pathlib.Path(path).read_text()
    # The translator wants S3 code locations; sam build puts them there.
    template = yaml_parse(text.replace("CodeUri: .", "CodeUri: s3://bucket/key"))
    return transform(template, {}, NoManagedPolicies())


class Stack:
    """The template's resources under one set of parameter values."""

    def __init__(self, template, overrides):
        self.params = {
            name: overrides.get(name, spec.get("Default"))
            for name, spec in template.get("Parameters", {}).items()
        }
        self.condition_specs = template.get("Conditions", {})
        self.conditions = {}
        self.resources = {
            name: r for name, r in template["Resources"].items() if self.holds(r.get("Condition"))
        }

    def holds(self, name):
        if name is None:
            return True
        if name not in self.conditions:
            self.conditions[name] = bool(self.value(self.condition_specs[name]))
        return self.conditions[name]

    def value(self, node):
        """The value of an intrinsic over parameters and conditions; None where unknown."""
        if isinstance(node, dict) and len(node) == 1:
            (fn, arg), = node.items()
            if fn == "Ref":
                if arg == "AWS::NoValue":
                    return None
                return self.params.get(arg, {"Ref": arg})
            if fn == "Condition":
                return self.holds(arg)
            if fn == "Fn::Equals":
                return self.value(arg[0]) == self.value(arg[1])
            if fn == "Fn::Not":
                return not self.value(arg[0])
            if fn == "Fn::And":
                return all(self.value(a) for a in arg)
            if fn == "Fn::Or":
                return any(self.value(a) for a in arg)
            if fn == "Fn::If":
                return self.value(arg[1] if self.holds(arg[0]) else arg[2])
            if fn == "Fn::Join":
                parts = self.value(arg[1])
                parts = parts.split(",") if isinstance(parts, str) else parts
                return arg[0].join(str(self.value(p)) for p in parts)
        return node

    def items(self, node):
        """A list property with its Fn::If entries resolved and NoValue dropped."""
        return [v for v in (self.value(n) for n in self.value(node) or []) if v is not None]


def function_of(ref):
    return ref["Ref"] if isinstance(ref, dict) and "Ref" in ref else ref


def source_distribution(permission):
    arn = permission.get("SourceArn", {})
    text = json.dumps(arn)
    return "EdgeDistribution" if "distribution/${EdgeDistribution}" in text else None


def check(stack, label):
    problems = []
    res = stack.resources
    permissions = [r["Properties"] for r in res.values() if r["Type"] == "AWS::Lambda::Permission"]
    distributions = [r["Properties"]["DistributionConfig"] for r in res.values() if r["Type"] == "AWS::CloudFront::Distribution"]
    origins = {}
    for config in distributions:
        for origin in stack.items(config.get("Origins")):
            origins[origin["Id"]] = origin

    def granted(function, principal, action, **extra):
        return any(
            function_of(p["FunctionName"]) == function
            and p["Principal"] == principal
            and p["Action"] == action
            and all(p.get(k) == v for k, v in extra.items())
            for p in permissions
        )

    for name, url in res.items():
        if url["Type"] != "AWS::Lambda::Url":
            continue
        function = function_of(url["Properties"]["TargetFunctionArn"])
        auth = stack.value(url["Properties"]["AuthType"])
        if auth == "NONE":
            if not granted(function, "*", "lambda:InvokeFunctionUrl", FunctionUrlAuthType="NONE"):
                problems.append(f"{label}: {name} has no auth but grants no one lambda:InvokeFunctionUrl")
            if not granted(function, "*", "lambda:InvokeFunction", InvokedViaFunctionUrl=True):
                problems.append(f"{label}: {name} has no auth but grants no one lambda:InvokeFunction via the URL")
        elif auth == "AWS_IAM":
            behind = [
                o for o in origins.values()
                if "OriginAccessControlId" in o and name in json.dumps(o["DomainName"])
            ]
            if not behind:
                problems.append(f"{label}: {name} takes only signed requests but is no origin behind Origin Access Control")
            for action, extra in [("lambda:InvokeFunctionUrl", {"FunctionUrlAuthType": "AWS_IAM"}),
                                  ("lambda:InvokeFunction", {"InvokedViaFunctionUrl": True})]:
                mine = [p for p in permissions if function_of(p["FunctionName"]) == function
                        and p["Principal"] == "cloudfront.amazonaws.com" and p["Action"] == action
                        and all(p.get(k) == v for k, v in extra.items())]
                if not mine or any(source_distribution(p) is None for p in mine):
                    problems.append(f"{label}: {name} does not grant {action} to the distribution alone")
        else:
            problems.append(f"{label}: {name} has an unexpected AuthType {auth!r}")

    for config in distributions:
        behaviours = stack.items(config.get("CacheBehaviors"))
        for path, want, cached in EDGE_PATHS:
            if want != "api" and want not in origins:
                continue  # that function group is not deployed
            chosen = next((b for b in behaviours if matches(b["PathPattern"], path)), config["DefaultCacheBehavior"])
            got = chosen["TargetOriginId"]
            is_cached = chosen["CachePolicyId"] != CACHING_DISABLED
            if got != want or is_cached != cached:
                problems.append(f"{label}: the edge sends {path} to {got} ({'cached' if is_cached else 'uncached'}), "
                                f"not to {want} ({'cached' if cached else 'uncached'})")
            if want != "api" and {"POST", "PUT", "PATCH", "DELETE"} & set(chosen["AllowedMethods"]):
                problems.append(f"{label}: the edge sends writes on {path} to a function URL behind OAC")
    return problems


def matches(pattern, path):
    """CloudFront path patterns: * matches any run of characters."""
    import fnmatch

    return fnmatch.fnmatchcase(path, pattern)


def main():
    path = sys.argv[1] if len(sys.argv) > 1 else str(pathlib.Path(__file__).resolve().parent.parent / "template.yaml")
    template = expand(path)
    problems = []
    urls = 0
    for edge in ("false", "true"):
        stack = Stack(template, {"EnableEdge": edge, "DatabaseUrlSecret": "db"})
        urls += sum(1 for r in stack.resources.values() if r["Type"] == "AWS::Lambda::Url")
        problems += check(stack, f"EnableEdge={edge}")
    for problem in problems:
        print(problem, file=sys.stderr)
    if problems:
        sys.exit(1)
    print(f"function URLs and the edge: {urls} URLs checked with EnableEdge=false and true, {len(EDGE_PATHS)} edge paths")


if __name__ == "__main__":
    main()
