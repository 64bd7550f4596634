# shellcheck shell=bash
# Shared by scripts/test and scripts/lab: finding Python interpreters, building
# cached virtual environments, installing Debian packages and copying the
# checkout into an ansible_collections tree.
#
# Virtual environments live outside the checkout, in
# ${SIPFLEET_CACHE:-$HOME/.cache/sipfleet-provisioning}, so copies of the
# checkout stay small and a rerun reuses what an earlier run installed.

SIPFLEET_CACHE=${SIPFLEET_CACHE:-${HOME:-/root}/.cache/sipfleet-provisioning}

log() {
    printf '==> %s\n' "$*" >&2
}

die() {
    printf 'error: %s\n' "$*" >&2
    exit 1
}

# find_python X.Y: print the path of a real CPython X.Y interpreter, or nothing.
# pyenv shims are skipped on purpose: they fail for versions that are installed
# but not selected, which would make a test stage depend on the caller's shell.
find_python() {
    local version=$1 candidate
    local pyenv_root=${PYENV_ROOT:-${HOME:-/root}/.pyenv}
    for candidate in \
        "/usr/bin/python$version" \
        "/usr/local/bin/python$version" \
        $(printf '%s\n' "$pyenv_root"/versions/"$version".*/bin/python"$version" | sort -V -r); do
        if [ -x "$candidate" ] && "$candidate" -c 'import sys' >/dev/null 2>&1; then
            printf '%s\n' "$candidate"
            return 0
        fi
    done
    return 1
}

# newest_python MIN_MINOR: print the newest python3.N (N >= MIN_MINOR) found.
newest_python() {
    local minor path
    for minor in 14 13 12 11 10 9; do
        [ "$minor" -ge "$1" ] || break
        if path=$(find_python "3.$minor"); then
            printf '%s\n' "$path"
            return 0
        fi
    done
    return 1
}

python_version() {
    "$1" -c 'import sys; print("%d.%d" % sys.version_info[:2])'
}

# missing_debian_packages PKG...: print the packages that are not installed.
missing_debian_packages() {
    local pkg
    for pkg in "$@"; do
        dpkg-query -W -f='${Status}\n' "$pkg" 2>/dev/null | grep -q '^install ok installed$' || printf '%s\n' "$pkg"
    done
}

# ensure_debian_packages PKG...: install what is missing (as root), or say
# exactly what to install and stop.
ensure_debian_packages() {
    local missing
    command -v dpkg-query >/dev/null 2>&1 || die "this script needs a Debian or Ubuntu machine (no dpkg-query); install by hand: $*"
    missing=$(missing_debian_packages "$@" | tr '\n' ' ')
    [ -n "${missing// /}" ] || return 0
    if [ "$(id -u)" -ne 0 ]; then
        die "missing Debian packages: $missing; install them as root (apt-get install $missing) or run this script as root"
    fi
    log "installing Debian packages: $missing"
    if [ ! -f "$SIPFLEET_CACHE/.apt-updated" ] || [ -n "$(find "$SIPFLEET_CACHE/.apt-updated" -mmin +720 2>/dev/null)" ]; then
        apt-get update -qq
        mkdir -p "$SIPFLEET_CACHE" && touch "$SIPFLEET_CACHE/.apt-updated"
    fi
    # shellcheck disable=SC2086  # word splitting of the package list is intended
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >/dev/null
}

# bindep_packages FILE PROFILE: the Debian packages FILE lists for PROFILE.
# A small reader of bindep's format for the lines this project uses
# ("name [platform:dpkg profile]"), so the packages can be installed before
# any virtual environment (and so bindep itself) exists.
bindep_packages() {
    local file=$1 profile=$2
    sed -e 's/#.*//' "$file" | while read -r name rest; do
        [ -n "$name" ] || continue
        case "$rest" in
            "" | *platform:dpkg*) ;;
            *) continue ;;
        esac
        # A profile tag limits the package to that profile; none means every profile.
        if printf '%s' "$rest" | tr -d '[]' | tr ' ' '\n' | grep -v '^platform:' | grep -q .; then
            printf '%s' "$rest" | tr -d '[]' | tr ' ' '\n' | grep -qx "$profile" || continue
        fi
        printf '%s\n' "$name"
    done
}

# ensure_venv NAME PYTHON [--system-site-packages] -- PIP_ARGS...
# Print the path of a virtual environment with PIP_ARGS installed. It is
# rebuilt only when PYTHON or PIP_ARGS (including the content of any
# requirements file named with -r) change.
ensure_venv() {
    local name=$1 python=$2
    shift 2
    local venv_args=()
    while [ "$#" -gt 0 ] && [ "$1" != "--" ]; do
        venv_args+=("$1")
        shift
    done
    [ "${1:-}" = "--" ] && shift
    local venv="$SIPFLEET_CACHE/venv-$name"
    local stamp arg previous=""
    # The stamp holds what the environment is made of, not where the
    # requirement files sit: two checkouts of one commit share the cache
    # instead of rebuilding it under each other.
    stamp=$( {
        "$python" --version 2>&1
        printf '%s\n' "$python" "${venv_args[@]}"
        for arg in "$@"; do
            if [ -f "$arg" ]; then cat "$arg"; else printf '%s\n' "$arg"; fi
        done
    } | sha256sum | cut -d' ' -f1)
    [ -f "$venv/.sipfleet-stamp" ] && previous=$(cat "$venv/.sipfleet-stamp")
    if [ "$previous" != "$stamp" ]; then
        log "building virtual environment $name ($("$python" --version 2>&1))"
        rm -rf "$venv"
        "$python" -m venv "${venv_args[@]}" "$venv" >&2
        "$venv/bin/python" -m pip install -q --upgrade pip >&2
        "$venv/bin/python" -m pip install -q "$@" >&2
        printf '%s\n' "$stamp" >"$venv/.sipfleet-stamp"
    fi
    printf '%s\n' "$venv"
}

# copy_collection SRC DEST_ROOT: copy the checkout's tracked and untracked,
# not ignored, files (and .git, so ansible-test honours .gitignore) to
# DEST_ROOT/ansible_collections/sipfleet/provisioning; print that path.
# ansible-test needs this layout and refuses a symlinked one.
copy_collection() {
    local src=$1 dest="$2/ansible_collections/sipfleet/provisioning"
    mkdir -p "$dest"
    (
        cd "$src" || exit 1
        git ls-files -z --cached --others --exclude-standard |
            while IFS= read -r -d '' file; do
                [ -e "$file" ] && printf '%s\0' "$file"
            done |
            tar --null -T - -cf - |
            tar -xf - -C "$dest"
        cp -a .git "$dest/.git"
    )
    printf '%s\n' "$dest"
}
