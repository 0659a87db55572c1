"""The layering of all of plugins/module_utils, as CONTRIBUTING.md's layout lists it.

The layout's list of module_utils files and packages is checked against the tree (every one named, nothing
else), and every import between them goes up that list: no import cycle, nothing depends on a layer listed
after it. No module imports Ansible (the core is pure Python: modules, filters and actions wrap it).
"""
from __future__ import annotations

import ast
import os
import re

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PACKAGE = os.path.join(ROOT, "plugins", "module_utils")
PREFIX = "ansible_collections.netops.ipsec_spi.plugins.module_utils"


def layout():
    """The units (``common``, ``parsers``...) CONTRIBUTING.md lists under plugins/module_utils/, in order."""
    with open(os.path.join(ROOT, "CONTRIBUTING.md"), encoding="utf-8") as handle:
        text = handle.read()
    block = text.split("    plugins/module_utils/", 1)[1].split("\n    plugins/", 1)[0]
    return [m.group(1) for m in re.finditer(r"^      ([a-z_]+)(?:\.py|/) ", block, re.MULTILINE)]


def units():
    """Every top-level file and package of module_utils, and the files of each."""
    found = {}
    for name in os.listdir(PACKAGE):
        path = os.path.join(PACKAGE, name)
        if name.endswith(".py") and name != "__init__.py":
            found[name[:-3]] = [path]
        elif os.path.isdir(path) and os.path.exists(os.path.join(path, "__init__.py")):
            found[name] = [os.path.join(d, f) for d, _s, files in os.walk(path) for f in files if f.endswith(".py")]
    return found


def module_name(path):
    rel = os.path.relpath(path, PACKAGE)[:-3].replace(os.sep, ".")
    return rel[:-len(".__init__")] if rel.endswith(".__init__") else rel


def imports(path, known):
    """(our module_utils modules, anything Ansible) that the file imports."""
    with open(path, encoding="utf-8") as handle:
        tree = ast.parse(handle.read())
    ours, ansible = set(), set()
    for node in ast.walk(tree):
        names = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
            if node.module.startswith(PREFIX):
                base = node.module[len(PREFIX):].lstrip(".")
                # "from module_utils.parsers import dmvpn" imports the submodule
                names = [PREFIX + "." + (base + "." + alias.name).lstrip(".") for alias in node.names
                         if (base + "." + alias.name).lstrip(".") in known] or names
        for name in names:
            if name == "ansible" or name.startswith("ansible.") or (
                    name.startswith("ansible_collections.") and not name.startswith(PREFIX)):
                ansible.add(name)
            elif name.startswith(PREFIX + "."):
                ours.add(name[len(PREFIX) + 1:])
    return ours, ansible


def test_the_layout_names_every_module_utils_file_and_package():
    listed = layout()
    assert len(listed) == len(set(listed)), listed
    assert sorted(listed) == sorted(units()), set(listed) ^ set(units())


def test_module_utils_is_layered_without_ansible_and_without_cycles():
    order = {name: index for index, name in enumerate(layout())}
    files = units()
    known = {module_name(path) for paths in files.values() for path in paths}
    graph = {}
    for unit, paths in files.items():
        for path in paths:
            ours, ansible = imports(path, known)
            assert not ansible, (module_name(path), sorted(ansible))
            graph[module_name(path)] = ours
            for target in ours:
                other = target.split(".")[0]
                assert other == unit or order[other] < order[unit], (
                    "%s imports %s, which CONTRIBUTING.md lists after it" % (module_name(path), target))
    # No cycle, inside the packages too (a package's modules may import each other in one direction only).
    done, stack = set(), []

    def visit(name):
        if name in stack:
            raise AssertionError("import cycle: %s" % " -> ".join(stack[stack.index(name):] + [name]))
        if name in done:
            return
        stack.append(name)
        for target in sorted(graph.get(name, ())):
            visit(target)
        stack.pop()
        done.add(name)

    for name in sorted(graph):
        visit(name)


# Issue 25: no function over about 60 lines. The body is counted from its first statement after the
# docstring (a docstring explains, it does not add steps) to its last line.
MAX_BODY_LINES = 60


def long_functions():
    """{"module.qualified_name": body lines} of every function of module_utils over MAX_BODY_LINES."""
    found = {}
    for paths in units().values():
        for path in paths:
            with open(path, encoding="utf-8") as handle:
                tree = ast.parse(handle.read())
            scopes = [(tree, module_name(path))]
            while scopes:
                scope, prefix = scopes.pop()
                for node in ast.iter_child_nodes(scope):
                    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                        name = prefix + "." + node.name
                        scopes.append((node, name))
                        if isinstance(node, ast.ClassDef):
                            continue
                        body = node.body
                        if len(body) > 1 and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) \
                                and isinstance(body[0].value.value, str):
                            body = body[1:]
                        size = node.end_lineno - body[0].lineno + 1
                        if size > MAX_BODY_LINES:
                            found[name] = size
    return found


def test_no_function_in_module_utils_is_over_60_lines():
    found = long_functions()
    assert not found, "over %d lines, split them by concern: %s" % (MAX_BODY_LINES, sorted(found.items()))
