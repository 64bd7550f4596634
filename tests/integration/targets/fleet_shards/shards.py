"""What fleet_shards asserts on: a task's result in an -v log, served trees, the key store.

    shards.py result LOG HOST FIELD
        FIELD of HOST's result of the task "Render, encrypt and write every
        phone's files" in the ansible-playbook -v output LOG, as JSON.
    shards.py trees STORE_JSON SINGLE_ROOT SPEC_JSON
        Each file of SINGLE_ROOT (an unsharded host's root) is given to the
        shards it belongs to, by the test's own knowledge of the fleet, not
        by the collection's: a file whose name holds a device's MAC, or that
        lies in a device's Cisco profile directory (its gpp_b in the key
        store), belongs to that device's shard; a model-wide file (its name
        holds a model name) to the shards that have that model; any other
        file to every shard. Then each shard's root (SPEC_JSON: {host:
        {"root": ..., "macs": [...], "models": [...]}}) must hold exactly
        its files, each byte for byte the unsharded one. Exit 1 naming every
        difference.
    shards.py secrets STORE_JSON
        Every key of the key store, one a line (not a Cisco profile
        directory, gpp_b: it is in URLs by design).
"""

import hashlib
import json
import os
import re
import sys

RENDER_TASK = "Render, encrypt and write every phone's files"


def task_result(log, host):
    """HOST's result of RENDER_TASK in the -v output LOG (default callback, JSON results)."""
    in_task = False
    prefix = re.compile(r"^(ok|changed): \[%s\] => (\{.*\})$" % re.escape(host))
    with open(log, encoding="utf-8", errors="replace") as handle:
        for line in handle:
            if line.startswith("TASK ["):
                in_task = line.startswith("TASK [%s]" % RENDER_TASK)
            elif in_task:
                match = prefix.match(line.rstrip("\n"))
                if match:
                    return json.loads(match.group(2))
    sys.exit("%s: no result of %r for %s" % (log, RENDER_TASK, host))


def files(root):
    """{relative path: sha256} of every file under root."""
    found = {}
    for directory, _dirs, names in os.walk(root):
        for name in names:
            path = os.path.join(directory, name)
            with open(path, "rb") as handle:
                found[os.path.relpath(path, root)] = hashlib.sha256(handle.read()).hexdigest()
    return found


def owners(path, spec, gpp_b):
    """The hosts of spec whose shard the served file path belongs to."""
    flat = path.lower()
    for host, shard in spec.items():
        if any(mac in flat for mac in shard["macs"]):
            return {host}
    for part in path.split(os.sep)[:-1]:
        if part in gpp_b:
            return {host for host, shard in spec.items() if gpp_b[part] in shard["macs"]}
    by_model = {host for host, shard in spec.items() if any(model.lower() in flat for model in shard["models"])}
    return by_model or set(spec)


def check_trees(store_json, single_root, spec_json):
    with open(store_json, encoding="utf-8") as handle:
        store = json.load(handle)
    with open(spec_json, encoding="utf-8") as handle:
        spec = json.load(handle)
    for shard in spec.values():
        shard["macs"] = [re.sub("[^0-9a-f]", "", mac.lower()) for mac in shard["macs"]]
    gpp_b = {entry["gpp_b"]: mac for mac, entry in store["devices"].items() if "gpp_b" in entry}
    single = files(single_root)
    problems = []
    if not single:
        problems.append("the unsharded root %s is empty" % single_root)
    for host, shard in sorted(spec.items()):
        expected = {path: digest for path, digest in single.items() if host in owners(path, spec, gpp_b)}
        served = files(shard["root"])
        for path in sorted(set(expected) - set(served)):
            problems.append("%s does not serve %s (the unsharded host does, and it is its shard's)" % (host, path))
        for path in sorted(set(served) - set(expected)):
            why = "not of its shard" if path in single else "not served by the unsharded host"
            problems.append("%s serves %s: %s" % (host, path, why))
        for path in sorted(set(served) & set(expected)):
            if served[path] != expected[path]:
                problems.append("%s serves %s with other bytes than the unsharded host" % (host, path))
        for mac in shard["macs"]:
            if not any(mac in path.lower() for path in served):
                problems.append("%s serves no file named for its device %s" % (host, mac))
        print("%s: %d files, %d of them shared by every shard" % (
            host, len(served), sum(1 for path in served if owners(path, spec, gpp_b) == set(spec))))
    if problems:
        print("\n".join(problems), file=sys.stderr)
        return 1
    return 0


def secrets(store_json):
    with open(store_json, encoding="utf-8") as handle:
        store = json.load(handle)
    for entry in store["devices"].values():
        for name, value in sorted(entry.items()):
            if name not in ("gpp_b", "created", "rotated") and isinstance(value, str):
                print(value)
    return 0


def main(argv):
    if len(argv) == 4 and argv[0] == "result":
        result = task_result(argv[1], argv[2])
        if argv[3] not in result:
            sys.exit("%s: the result of %r for %s has no %s" % (argv[1], RENDER_TASK, argv[2], argv[3]))
        print(json.dumps(result[argv[3]]))
        return 0
    if len(argv) == 4 and argv[0] == "trees":
        return check_trees(*argv[1:])
    if len(argv) == 2 and argv[0] == "secrets":
        return secrets(argv[1])
    sys.exit(__doc__)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
