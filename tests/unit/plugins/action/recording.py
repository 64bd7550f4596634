# Copyright (c) sipfleet.provisioning contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Action plugins run with the host side recorded: what they would transfer and the module arguments they would send."""

from __future__ import annotations

from types import SimpleNamespace

from ansible.parsing.dataloader import DataLoader
from ansible.template import Templar


def recording(cls):
    """``cls`` (an action plugin class) with its host side recorded instead of done.

    ``files``: ``(local_path, remote_path, bytes)`` of each file it would
    transfer; ``transferred``: the data it would write, by remote path, as
    given; ``executed``: ``(module_name, module_args)`` of each module run.
    """
    class Recording(cls):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.files = []
            self.transferred = {}
            self.executed = []

        def _transfer_file(self, local_path, remote_path):
            with open(local_path, "rb") as handle:
                self.files.append((local_path, remote_path, handle.read()))
            return remote_path

        def _transfer_data(self, remote_path, data):
            self.transferred[remote_path] = data
            return remote_path

        def _fixup_perms2(self, remote_paths, remote_user=None, execute=True):
            return None

        def _execute_module(self, module_name=None, module_args=None, task_vars=None, **kwargs):
            self.executed.append((module_name, module_args))
            return {"changed": False}

        def _remove_tmp_path(self, tmp_path, force=False):
            return None

    Recording.__name__ = "Recording" + cls.__name__
    return Recording


def run_action(cls, args, task_vars=None, loader=None, **task):
    """Run the action plugin ``cls`` on ``args``; returns ``(action, result)``.

    The task is named after ``cls.MODULE`` (the module the action runs) or
    its Python module; ``task`` adds or overrides task attributes.
    """
    loader = loader or DataLoader()
    attributes = dict(args=args, check_mode=False, async_val=0, action=getattr(cls, "MODULE", cls.__module__),
                      diff=False)
    attributes.update(task)
    connection = SimpleNamespace(_shell=SimpleNamespace(tmpdir="/remote/tmp", join_path=lambda *parts: "/".join(parts)))
    action = cls(SimpleNamespace(**attributes), connection, None, loader, Templar(loader=loader), None)
    return action, action.run(task_vars=task_vars if task_vars is not None else {})
