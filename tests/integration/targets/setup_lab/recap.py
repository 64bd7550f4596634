"""Assert on the PLAY RECAP of an ansible-playbook output file.

    recap.py LOG [--host HOST] CONDITION...   exit 1 unless every CONDITION holds
    recap.py LOG --print FIELD [--host HOST]  print one figure

--changed-task NAME (repeatable) is a condition too: a task or handler whose
name contains NAME reported a change for HOST.

A CONDITION is FIELD=N, FIELD>N or FIELD>=N, FIELD one of the recap's
counters (ok, changed, unreachable, failed, skipped, rescued, ignored); HOST
defaults to testhost (ansible-test's inventory). A missing recap, or a host
missing from it, fails every condition. When a condition on "changed" does
not hold, the tasks that reported a change for HOST are listed.
"""

import argparse
import operator
import re
import sys

RECAP_LINE = re.compile(r"^(?P<host>\S+)\s*:\s*(?P<counters>(?:\w+=\d+\s*)+)$")
CONDITION = re.compile(r"^(?P<field>[a-z]+)(?P<op>>=|=|>)(?P<value>\d+)$")
OPERATORS = {"=": operator.eq, ">": operator.gt, ">=": operator.ge}


def read_recap(lines):
    """{host: {counter: int}} from the last PLAY RECAP of the output."""
    recap = None
    for line in lines:
        if line.startswith("PLAY RECAP"):
            recap = {}
        elif recap is not None:
            match = RECAP_LINE.match(line.strip())
            if match:
                recap[match.group("host")] = {
                    name: int(value) for name, value in (pair.split("=") for pair in match.group("counters").split())
                }
    return recap


def changed_tasks(lines, host):
    """The names of the tasks and handlers that reported a change for host."""
    names, current = [], None
    for line in lines:
        match = re.match(r"^(?:TASK|RUNNING HANDLER) \[(.*)\]", line)
        if match:
            current = match.group(1)
        elif line.startswith(("changed: [%s]" % host, "changed: [%s ->" % host)) and current not in names:
            # A loop reports each item: name its task once.
            names.append(current)
    return names


def main(argv):
    parser = argparse.ArgumentParser()
    parser.add_argument("log")
    parser.add_argument("--host", default="testhost")
    parser.add_argument("--print", dest="field")
    parser.add_argument("--changed-task", action="append", default=[])
    parser.add_argument("conditions", nargs="*")
    args = parser.parse_intermixed_args(argv)
    with open(args.log, encoding="utf-8", errors="replace") as handle:
        lines = handle.read().splitlines()
    recap = read_recap(lines)
    if recap is None:
        sys.exit("%s: no PLAY RECAP" % args.log)
    if args.host not in recap:
        sys.exit("%s: no %s in the PLAY RECAP (hosts: %s)" % (args.log, args.host, ", ".join(sorted(recap))))
    counters = recap[args.host]
    if args.field:
        print(counters[args.field])
        return 0
    if not args.conditions and not args.changed_task:
        sys.exit("recap.py: no condition given")
    problems = []
    changed = changed_tasks(lines, args.host)
    for name in args.changed_task:
        if not any(name in task for task in changed):
            problems.append("no task or handler named like %r changed (changed: %s)" % (name, changed or "none"))
    for condition in args.conditions:
        match = CONDITION.match(condition)
        if not match or match.group("field") not in counters:
            sys.exit("recap.py: cannot read the condition %r" % condition)
        got = counters[match.group("field")]
        if not OPERATORS[match.group("op")](got, int(match.group("value"))):
            problems.append("%s=%d, expected %s" % (match.group("field"), got, condition))
            if match.group("field") == "changed":
                problems.extend("  changed: %s" % name for name in changed)
    if problems:
        print("%s: %s" % (args.log, args.host), *problems, sep="\n  ", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
