# Copyright (c) sipfleet.provisioning contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Offline stand-in for the get-pip.py script ansible-test downloads.

ansible-test runs its cached copy of get-pip.py inside each new sanity
environment with the packages to install as arguments (``pip==X.Y`` and
get-pip's own ``--no-setuptools``/``--no-wheel`` flags). This bootstraps pip
from the interpreter's bundled ``ensurepip`` instead of downloading it, then
installs the same packages from the configured package index.
"""

from __future__ import annotations

import subprocess
import sys

GET_PIP_ONLY_OPTIONS = ("--no-setuptools", "--no-wheel")


def main():
    packages = [arg for arg in sys.argv[1:] if arg not in GET_PIP_ONLY_OPTIONS]
    subprocess.check_call([sys.executable, "-m", "ensurepip", "--default-pip"])
    return subprocess.call([sys.executable, "-m", "pip", "install", "--disable-pip-version-check"] + packages)


if __name__ == "__main__":
    sys.exit(main())
