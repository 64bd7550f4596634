# Copyright (c) sipfleet.provisioning contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The declared requirements are what the plugins import: meta/ee-requirements.txt and each plugin's ``requirements``.

The plugins' sources are read with :mod:`ast`, not imported: every
``import`` (at the top, in a ``try``, inside a function) of each plugin and
of every module of the collection's own ``module_utils`` and
``plugin_utils`` it reaches, followed to the end. What is neither the
standard library nor ``ansible`` is a third-party import. A module's file
runs on the managed host; its action plugin, the filters and the lookups on
the controller.

- meta/ee-requirements.txt (what ansible-builder installs into an execution
  environment) names exactly the distributions of those imports, except
  ansible-core's own requirements imported only on the controller: wherever
  ansible-core runs they are installed with it (ansible-builder leaves PyYAML
  out of an image for that reason). A module's import of one of them counts:
  a managed host's Python has no ansible-core.
- Each plugin's DOCUMENTATION has ``requirements``: every third-party
  package it imports is named there with where it is needed (the managed
  host, the controller), and no Python library it does not import is.
"""

from __future__ import annotations

import ast
import functools
import importlib.metadata
import re
import sys
from pathlib import Path

import pytest
import yaml

COLLECTION = Path(__file__).resolve().parents[3]
PLUGINS = COLLECTION / "plugins"
OWN_PACKAGE = "ansible_collections.sipfleet.provisioning"

#: Plugin directories whose files are not plugins with documentation of their own: an action plugin is the
#: controller half of the module of the same name, which documents both.
NOT_DOCUMENTED = frozenset(("module_utils", "plugin_utils", "doc_fragments", "action"))

#: Import name -> distribution name, where they differ (checked against the installed metadata below).
DISTRIBUTIONS = {"yaml": "PyYAML"}

HOST = "managed host"
CONTROLLER = "controller"


def normalized(name):
    """A distribution name as PEP 503 compares them."""
    return re.sub(r"[-_.]+", "-", name).lower()


def own_module_file(dotted):
    """The file of the collection's module ``dotted`` (a package's ``__init__.py``), or ``None``."""
    if dotted != OWN_PACKAGE and not dotted.startswith(OWN_PACKAGE + "."):
        return None
    path = COLLECTION.joinpath(*dotted[len(OWN_PACKAGE) + 1:].split(".")) if dotted != OWN_PACKAGE else COLLECTION
    for candidate in (path.with_suffix(".py"), path / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def dotted_name(path):
    relative = path.relative_to(COLLECTION).with_suffix("")
    parts = relative.parts[:-1] if relative.name == "__init__" else relative.parts
    return ".".join((OWN_PACKAGE,) + parts)


def _guarded_nodes(tree):
    """The import nodes of ``tree`` that may fail without failing the file's import.

    Those inside a function (imported when it is called) or in a ``try``
    that catches ``ImportError``: a plugin that reaches only such an import
    of a package loads without it, and needs it for what that code does.
    """
    guarded = set()

    def visit(node, inside):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            inside = True
        if isinstance(node, ast.Try) and any(
                isinstance(handler.type, ast.Name) and handler.type.id in ("ImportError", "ModuleNotFoundError")
                for handler in node.handlers):
            for child in node.body:
                visit(child, True)
            for child in node.handlers + node.orelse + node.finalbody:
                visit(child, inside)
            return
        if inside and isinstance(node, (ast.Import, ast.ImportFrom)):
            guarded.add(node)
        for child in ast.iter_child_nodes(node):
            visit(child, inside)

    visit(tree, False)
    return guarded


@functools.lru_cache(maxsize=None)
def imported_names(path):
    """``[(module name, guarded)]`` of every ``import`` of ``path``: ``from X import a`` gives ``X`` and ``X.a``."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    guarded = _guarded_nodes(tree)
    package = dotted_name(path) if path.name == "__init__.py" else dotted_name(path).rpartition(".")[0]
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.extend((alias.name, node in guarded) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parts = package.split(".")
                base = ".".join(parts[:len(parts) - node.level + 1])
                module = base + "." + node.module if node.module else base
            else:
                module = node.module
            names.append((module, node in guarded))
            names.extend((module + "." + alias.name, node in guarded) for alias in node.names if alias.name != "*")
    return tuple(names)


def third_party_imports(path):
    """``({top-level third-party import name: guarded}, own files)`` reached from ``path`` through the collection.

    ``guarded`` is true when every import of that name reached is guarded (see :func:`_guarded_nodes`).
    """
    found = {}
    seen = set()
    pending = [path]
    while pending:
        current = pending.pop()
        if current in seen:
            continue
        seen.add(current)
        for name, guarded in imported_names(current):
            top = name.partition(".")[0]
            if top == "ansible_collections":
                parts = name.split(".")
                # Importing a.b.c runs the __init__.py of a and a.b too.
                for end in range(4, len(parts) + 1):
                    own = own_module_file(".".join(parts[:end]))
                    if own is not None:
                        pending.append(own)
                if not name.startswith(OWN_PACKAGE):
                    top = ".".join(parts[:3])
                else:
                    continue
            elif top in sys.stdlib_module_names or top in ("__future__", "ansible"):
                continue
            found[top] = found.get(top, True) and guarded
    return found, seen


def runs_module_on_host(action):
    """Whether the action plugin file ``action`` runs its module on the host (calls ``_execute_module``).

    Its ``ActionModule`` is searched, then the classes of the collection it
    derives from. A call naming another module by a literal
    (``module_name="ansible.legacy.setup"``) runs that module, not the
    plugin's own, and does not count.
    """
    def runs_own_module(call):
        names = [keyword.value for keyword in call.keywords if keyword.arg == "module_name"]
        return not (names and isinstance(names[0], ast.Constant) and isinstance(names[0].value, str))

    def search(path, class_name):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        origins = {}
        for node in tree.body:
            if isinstance(node, ast.ImportFrom) and node.module:
                for alias in node.names:
                    origins[alias.asname or alias.name] = node.module
        for node in tree.body:
            if isinstance(node, ast.ClassDef) and node.name == class_name:
                if any(isinstance(child, ast.Call) and isinstance(child.func, ast.Attribute)
                       and child.func.attr == "_execute_module" and runs_own_module(child) for child in ast.walk(node)):
                    return True
                for base in node.bases:
                    module = origins.get(getattr(base, "id", None))
                    own = own_module_file(module) if module else None
                    if own is not None and search(own, base.id):
                        return True
        return False

    return search(action, "ActionModule")


def distribution(import_name):
    return DISTRIBUTIONS.get(import_name, import_name)


#: Third-party packages a module reaches on the managed host but never uses there, each with the reason. Only a
#: guarded import (see :func:`_guarded_nodes`) may be listed: the module loads without the package.
UNUSED_ON_HOST = {
    ("modules/fleet_status", "cryptography"):
        "reads the manifests phone_profiles wrote and the servers' logs; the vendor descriptions it reaches import "
        "the encryption code, which it never calls",
    ("modules/provisioning_fetches", "cryptography"):
        "reads the servers' logs; it reaches the vendor descriptions for the served paths, never the encryption",
    ("modules/resync", "cryptography"):
        "sends SIP NOTIFY messages; it reaches the vendor descriptions for their resync events, never the encryption",
}


def documentation(path):
    """The parsed DOCUMENTATION of a plugin file (a string assigned at module level)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(getattr(target, "id", None) == "DOCUMENTATION" for target in node.targets):
            return yaml.safe_load(node.value.value)
    raise AssertionError("%s has no DOCUMENTATION" % path.relative_to(COLLECTION))


def plugins():
    """``{type/name: (file, {side: {third-party import name: guarded}})}`` of every documented plugin."""
    result = {}
    for directory in sorted(PLUGINS.iterdir()):
        if not directory.is_dir() or directory.name in NOT_DOCUMENTED:
            continue
        for path in sorted(directory.glob("*.py")):
            if path.name == "__init__.py":
                continue
            name = "%s/%s" % (directory.name, path.stem)
            action = PLUGINS / "action" / path.name
            if directory.name != "modules":
                sides = {CONTROLLER: third_party_imports(path)[0]}
            elif action.is_file():
                sides = {CONTROLLER: third_party_imports(action)[0]}
                # An action that never runs its module (key_store) sends nothing to the host.
                if runs_module_on_host(action):
                    sides[HOST] = third_party_imports(path)[0]
            else:
                sides = {HOST: third_party_imports(path)[0]}
            result[name] = (path, sides)
    return result


PLUGINS_FOUND = plugins()


#: What ansible-core 2.19 to 2.21 require (their requirements.txt): installed wherever ansible-core is, so on every
#: controller. Stated here because ansible-test runs the unit tests with an ansible-core that may have no
#: installed metadata to read it from; the next test compares it with that metadata when there is one.
CORE = frozenset(("jinja2", "pyyaml", "cryptography", "packaging", "resolvelib"))


def test_core_requirements_are_ansible_cores():
    try:
        requires = importlib.metadata.requires("ansible-core")
    except importlib.metadata.PackageNotFoundError:
        requires = None
    if not requires:
        pytest.skip("no installed ansible-core metadata to compare with")
    names = set(normalized(re.match(r"[A-Za-z0-9._-]+", requirement).group(0))
                for requirement in requires if "extra ==" not in requirement)
    assert names == CORE


def ee_requirements():
    """The distributions meta/ee-requirements.txt names (comments, versions and markers left out)."""
    names = set()
    for line in (COLLECTION / "meta" / "ee-requirements.txt").read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            names.add(normalized(re.match(r"[A-Za-z0-9._-]+", line).group(0)))
    return names


def needs(name, sides, core, unused_on_host):
    """``{side: distributions}`` plugin ``name`` needs: on the host all it uses, on the controller what ansible-core lacks."""
    result = {}
    for side, imports in sides.items():
        result[side] = set()
        for import_name in imports:
            dist = normalized(distribution(import_name))
            if side == HOST and (name, import_name) in unused_on_host:
                continue
            if side == CONTROLLER and dist in core:
                continue
            result[side].add(dist)
    return result


def needed_by_ee(found, core, unused_on_host):
    """The distributions an execution environment must be given for ``found`` (``{plugin: (path, sides)}``)."""
    needed = set()
    for name, (dummy, sides) in found.items():
        for dists in needs(name, sides, core, unused_on_host).values():
            needed |= dists
    return needed


def test_every_action_plugin_has_its_documented_module():
    for path in (PLUGINS / "action").glob("*.py"):
        assert (PLUGINS / "modules" / path.name).is_file(), "%s documents nothing" % path.relative_to(COLLECTION)


def test_the_checker_follows_the_collections_own_imports():
    """A plugin reaches what its module_utils import, here the lazy jmespath import of the fleet bundle's shards."""
    found, files = third_party_imports(PLUGINS / "filter" / "shard_keys.py")
    assert PLUGINS / "plugin_utils" / "_fleet_bundle.py" in files
    assert found["jmespath"] is True, "imported inside a function: guarded"
    # A package's submodule named in ``from package import module`` is followed too.
    found, files = third_party_imports(PLUGINS / "module_utils" / "_vendors" / "registry.py")
    assert PLUGINS / "module_utils" / "_vendors" / "fanvil" / "renderer.py" in files
    assert PLUGINS / "module_utils" / "_vendors" / "fanvil" / "__init__.py" in files
    assert found["cryptography"] is True, "imported in a try that catches ImportError: guarded"
    found, dummy = third_party_imports(PLUGINS / "plugin_utils" / "_device_import.py")
    assert found["yaml"] is False, "imported at the top of the file"


def test_which_actions_run_their_module_on_the_host():
    ran = dict((path.stem, runs_module_on_host(path)) for path in (PLUGINS / "action").glob("*.py"))
    # supported_os runs ansible.builtin.setup when facts are missing, never its own module (documentation only).
    assert ran == {"fleet_status": True, "key_store": False, "phone_profiles": True, "resync": True,
                   "supported_os": False}


def test_no_plugin_imports_another_collection():
    for name, (dummy, sides) in PLUGINS_FOUND.items():
        for side, imports in sides.items():
            assert not [i for i in imports if i.startswith("ansible_collections.")], (name, side, imports)


def test_import_names_map_to_the_installed_distributions():
    """DISTRIBUTIONS agrees with the installed packages' metadata for every third-party import."""
    installed = importlib.metadata.packages_distributions()
    for dummy, sides in PLUGINS_FOUND.values():
        for imports in sides.values():
            for name in imports:
                assert name in installed, "%s is imported but not installed where the tests run" % name
                assert normalized(distribution(name)) in [normalized(d) for d in installed[name]], name


def test_what_a_module_does_not_use_on_the_host_is_a_guarded_import_it_reaches():
    for (name, import_name), reason in UNUSED_ON_HOST.items():
        assert reason
        imports = PLUGINS_FOUND[name][1].get(HOST, {})
        assert import_name in imports, "%s no longer reaches %s: drop it from UNUSED_ON_HOST" % (name, import_name)
        assert imports[import_name] is True, "%s imports %s unguarded: it cannot load without it" % (name, import_name)


def test_ee_requirements_are_exactly_what_the_plugins_import():
    declared = ee_requirements()
    needed = needed_by_ee(PLUGINS_FOUND, CORE, UNUSED_ON_HOST)
    assert declared == needed, (
        "meta/ee-requirements.txt names %s; the plugins need %s (missing: %s, not imported: %s)"
        % (sorted(declared), sorted(needed), sorted(needed - declared), sorted(declared - needed)))


@pytest.mark.parametrize("name", sorted(PLUGINS_FOUND))
def test_plugin_documents_its_requirements(name):
    path, sides = PLUGINS_FOUND[name]
    requirements = documentation(path).get("requirements")
    assert isinstance(requirements, list) and requirements, "%s has no requirements list" % name
    assert all(isinstance(entry, str) for entry in requirements), name
    for side, dists in needs(name, sides, CORE, UNUSED_ON_HOST).items():
        for dist in dists:
            assert [entry for entry in requirements if normalized(entry.split()[0]) == dist and side in entry], (
                "%s needs %s on the %s: its requirements must name it there, got %s" % (name, dist, side, requirements))
    # What it names as a Python library it imports, on the side it says.
    for entry in requirements:
        if "(Python library)" in entry:
            dist = normalized(entry.split()[0])
            assert [side for side, imports in sides.items()
                    if side in entry and dist in [normalized(distribution(i)) for i in imports]], (
                "%s documents %r but imports no such library there" % (name, entry))


def test_the_ee_needs_host_imports_of_core_requirements_and_not_controller_ones():
    core = {"cryptography", "pyyaml"}
    found = {"modules/m": (None, {HOST: {"cryptography": True}, CONTROLLER: {"yaml": False, "jmespath": True}})}
    assert needed_by_ee(found, core, {}) == {"cryptography", "jmespath"}
    assert needed_by_ee(found, core, {("modules/m", "cryptography"): "unused"}) == {"jmespath"}
    found = {"filter/f": (None, {CONTROLLER: {"cryptography": True, "yaml": False}})}
    assert needed_by_ee(found, core, {}) == set()
