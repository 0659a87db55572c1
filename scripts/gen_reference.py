"""Write docs/reference.md from ansible-doc: every filter, module and role of the collection.

    python scripts/gen_reference.py [--check]

--check exits 1 when docs/reference.md differs from what ansible-doc says now
(the unit test tests/unit/test_reference.py runs it).
"""
import argparse
import json
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "docs", "reference.md")
NS = "netops.ipsec_spi"


def doc(kind, names):
    out = subprocess.run(["ansible-doc", "--json", "-t", kind] + names, capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def listing(kind):
    out = subprocess.run(["ansible-doc", "--json", "-t", kind, "-l", NS], capture_output=True, text=True, check=True)
    return sorted(json.loads(out.stdout))


def text(value):
    if isinstance(value, list):
        return " ".join(str(v) for v in value)
    return str(value or "")


def options(opts, lines, indent=""):
    for name in sorted(opts or {}):
        opt = opts[name]
        if name == "_input":
            label = "input"
        else:
            label = "`%s`" % name
        bits = [opt.get("type", "")]
        if opt.get("required"):
            bits.append("required")
        if "default" in opt and opt.get("default") not in (None, ""):
            bits.append("default `%s`" % json.dumps(opt["default"]))
        if opt.get("choices"):
            bits.append("one of %s" % ", ".join("`%s`" % c for c in opt["choices"]))
        lines.append("%s- %s (%s): %s" % (indent, label, ", ".join(b for b in bits if b), text(opt.get("description"))))


def render():
    lines = ["# Reference", "",
             "Generated from `ansible-doc` by `scripts/gen_reference.py`; a unit test fails when it is out of date.", ""]
    for kind, title in (("filter", "Filters"), ("module", "Modules")):
        names = listing(kind)
        data = doc(kind, names)
        lines += ["## %s" % title, ""]
        for name in names:
            entry = data[name]["doc"]
            lines += ["### %s" % name, "", text(entry.get("short_description")), ""]
            lines += [text(entry.get("description")), ""]
            options(entry.get("options"), lines)
            lines.append("")
    roles = listing("role")
    data = doc("role", roles)
    lines += ["## Roles", ""]
    for name in roles:
        lines += ["### %s" % name, ""]
        for spec_name, spec in sorted(data[name]["entry_points"].items()):
            lines += ["Entry point `%s`: %s" % (spec_name, text(spec.get("short_description"))), ""]
            lines += [text(spec.get("description")), ""]
            options(spec.get("options"), lines)
            lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args()
    new = render()
    if args.check:
        old = open(OUT).read() if os.path.exists(OUT) else ""
        if old != new:
            sys.stderr.write("docs/reference.md is out of date: run python scripts/gen_reference.py\n")
            return 1
        return 0
    with open(OUT, "w") as handle:
        handle.write(new)
    return 0


if __name__ == "__main__":
    sys.exit(main())
