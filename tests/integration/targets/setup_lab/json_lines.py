"""Count the lines of a JSON-lines log (nginx's access and scan logs) that match.

    json_lines.py LOG FIELD=VALUE... [--distinct FIELD]

Prints how many lines have every FIELD equal to VALUE (numbers and booleans
compare by their JSON text: status=404, notfound=true), or with --distinct,
how many different values of FIELD those lines have. A line that is not a
JSON object fails the count: the log's format is part of what is tested.
"""

import argparse
import json
import sys


def text(value):
    return value if isinstance(value, str) else json.dumps(value)


def main(argv):
    parser = argparse.ArgumentParser()
    parser.add_argument("log")
    parser.add_argument("conditions", nargs="+")
    parser.add_argument("--distinct")
    args = parser.parse_intermixed_args(argv)
    wanted = dict(condition.split("=", 1) for condition in args.conditions)
    matches = []
    with open(args.log, encoding="utf-8") as handle:
        for number, line in enumerate(handle, 1):
            try:
                entry = json.loads(line)
            except ValueError as exc:
                sys.exit("%s line %d is not JSON: %s" % (args.log, number, exc))
            if not isinstance(entry, dict):
                sys.exit("%s line %d is not a JSON object" % (args.log, number))
            if all(field in entry and text(entry[field]) == value for field, value in wanted.items()):
                matches.append(entry)
    if args.distinct:
        print(len({text(entry.get(args.distinct)) for entry in matches}))
    else:
        print(len(matches))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
