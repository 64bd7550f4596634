"""Print the life-cycle table (Markdown) from the target's results file.

    python table.py RESULTS PANASONIC_MODEL

RESULTS has one line per phone and step: PHONE<TAB>STEP<TAB>PASS|FAIL<TAB>TEXT.
"""

import sys

PHONES = (("gs", "Grandstream GXP2170"), ("spa", "Cisco SPA2102"), ("mpp", "Cisco ATA192 (MPP)"), ("pana", "Panasonic {model}"),
          ("yl", "Yealink T46U"), ("poly", "Poly VVX450"), ("snom", "Snom D785"), ("fanvil", "Fanvil X4"))
STEPS = (("first-contact", "first contact: requests, virtual minutes to the SIP account"), ("resync", "periodic resync"),
         ("reboot", "reboot after the window closed"), ("factory-reset", "factory reset after the window closed"))


def main():
    results = {}
    with open(sys.argv[1]) as handle:
        for line in handle:
            phone, step, status, text = line.rstrip("\n").split("\t", 3)
            results[(phone, step)] = "%s: %s" % (status, text.replace("|", "/"))
    print("| phone | " + " | ".join(title for dummy, title in STEPS) + " |")
    print("| --- |" + " --- |" * len(STEPS))
    for phone, title in PHONES:
        cells = [results.get((phone, step), "not run") for step, dummy in STEPS]
        print("| %s | %s |" % (title.format(model=sys.argv[2]), " | ".join(cells)))


if __name__ == "__main__":
    main()
