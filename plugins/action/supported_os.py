# Copyright (c) sipfleet.provisioning contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Stop a role on a host whose OS family it does not support, before it changes anything.

The roles install Debian packages with ``ansible.builtin.apt`` and write
Debian's paths: on another OS family they would fail late, in a package
task, after writing part of their configuration. This action is each role's
first task. It reads ``ansible_facts.os_family`` as the play left it and,
only when the play gathered no facts (``gather_facts: false``), runs
``setup`` with the ``distribution`` subset alone and returns what it found
as facts, so the host is asked once, and later tasks see them.
"""

from __future__ import annotations

from ansible.plugins.action import ActionBase

ARGUMENT_SPEC = {
    "os_families": {"type": "list", "elements": "str", "required": True},
    "allow_unsupported": {"type": "bool", "default": False},
}

# What the setup module's distribution collector sets, without the prefix
# ansible_facts drops.
GATHER_SUBSET = ["!all", "!min", "distribution"]


def describe_host(facts):
    """The host's distribution, version and OS family as a phrase, with "unknown" for what the facts lack."""
    distribution = facts.get("distribution") or "an unknown distribution"
    version = facts.get("distribution_version") or "of unknown version"
    family = facts.get("os_family") or "unknown"
    return "%s %s, OS family %s" % (distribution, version, family)


def unsupported_message(role, host, facts, os_families, allowed=False):
    """Why the role stops (or, allowed, goes on): the host's OS and the families the role supports."""
    return "%s supports only hosts of the OS family %s (ansible_facts.os_family); %s runs %s. %s" % (
        role,
        " or ".join(os_families),
        host,
        describe_host(facts),
        "Going on untested, as allowed." if allowed else "Stopped before changing anything on it.",
    )


class ActionModule(ActionBase):
    """Action plugin of ``sipfleet.provisioning.supported_os``."""

    TRANSFERS_FILES = False

    def run(self, tmp=None, task_vars=None):
        self._supports_check_mode = True
        result = super().run(tmp, task_vars)
        del tmp
        task_vars = task_vars or {}
        _validation, args = self.validate_argument_spec(argument_spec=ARGUMENT_SPEC)
        os_families = args["os_families"]

        facts = dict(task_vars.get("ansible_facts") or {})
        if not facts.get("os_family"):
            # Only the distribution collector: a play with facts already
            # gathered never gets here, so the host is not asked twice.
            try:
                gathered = self._execute_module(
                    module_name="ansible.legacy.setup",
                    module_args={"gather_subset": GATHER_SUBSET},
                    task_vars=task_vars,
                )
            finally:
                self._remove_tmp_path(self._connection._shell.tmpdir)
            if gathered.get("failed"):
                result.update(failed=True, msg="Could not read the host's OS family: %s" % gathered.get("msg", ""))
                return result
            # setup returns its facts prefixed; ansible_facts holds them without.
            found = {
                name[len("ansible_"):] if name.startswith("ansible_") else name: value
                for name, value in gathered.get("ansible_facts", {}).items()
            }
            facts.update(found)
            result["ansible_facts"] = gathered.get("ansible_facts", {})

        role = self._task._role.get_name() if self._task._role else "This task"
        host = task_vars.get("inventory_hostname", "the host")
        result.update(
            changed=False,
            os_family=facts.get("os_family"),
            distribution=facts.get("distribution"),
            distribution_version=facts.get("distribution_version"),
            supported=facts.get("os_family") in os_families,
        )
        if not result["supported"]:
            message = unsupported_message(role, host, facts, os_families, args["allow_unsupported"])
            if args["allow_unsupported"]:
                self._display.warning(message)
            else:
                result.update(failed=True, msg=message)
        return result
