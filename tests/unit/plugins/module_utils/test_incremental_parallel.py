# Copyright (c) sipfleet.provisioning contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Incremental runs with forked workers: the bytes of a serial full render, the results of a serial incremental run.

The incremental path (``only=``, ``cached=``, the render cache) and the
parallel one (``_parallel.map_devices``) were built apart: here they run
together, over every family, through a one-device change, a site edit and
a window that closes.
"""

from __future__ import annotations

import json

import pytest

from ansible_collections.sipfleet.provisioning.plugins.module_utils import _incremental, _parallel
from ansible_collections.sipfleet.provisioning.plugins.module_utils._profile_writer import MTIME_NS
from ansible_collections.sipfleet.provisioning.tests.unit.plugins.module_utils.test_incremental import (
    DEFAULTS,
    MODEL_SETTINGS,
    SITES,
    Site,
    deterministic_keys,
    fleet_devices,
)


class SerialFullSite(Site):
    """A site whose runs are compared with a full render by one process, whatever workers the run itself has."""

    def full(self, saved_state, now, extra):
        return super().full(saved_state, now, dict(extra, workers=1))


@pytest.fixture(name="small_chunks")
def small_chunks_fixture(monkeypatch):
    """The pool even for a few devices (as test_parallel.py); counts the pools forked."""
    monkeypatch.setattr(_parallel, "PARALLEL_MIN_DEVICES", 0)
    monkeypatch.setattr(_parallel, "MIN_CHUNK_DEVICES", 1)
    forked = []
    original = _parallel._fork_pool

    def counting(processes):
        pool, reason = original(processes)
        assert pool is not None, reason
        forked.append(processes)
        return pool, reason

    monkeypatch.setattr(_parallel, "_fork_pool", counting)
    return forked


def state_files(site):
    """The render cache and the manifests of ``site`` (the files' mtimes left out: a write's time)."""
    found = {"cache": json.loads((site.state / _incremental.CACHE_FILE).read_text())}
    for path in sorted(site.state.glob("manifest-*.json")):
        data = json.loads(path.read_text())
        data.pop("root")
        for record in data["files"].values():
            record[MTIME_NS] = None
        found["manifest"] = data
    return found


def comparable(result):
    return dict((name, value) for name, value in result.items() if name != "roots")


def test_incremental_runs_with_workers_equal_serial_runs(tmp_path, monkeypatch, small_chunks):
    devices = fleet_devices()
    keys = deterministic_keys(monkeypatch, devices, DEFAULTS, SITES, MODEL_SETTINGS)
    params = dict(devices=devices, defaults=DEFAULTS, sites=SITES, models=MODEL_SETTINGS, keys=keys.keys)
    parallel = SerialFullSite(tmp_path / "parallel", dict(params, workers=4))
    serial = Site(tmp_path / "serial", dict(params, workers=1))

    def step(now, expect_rendered, expect_fork):
        """One run of each site (each compared with a serial full render by Site.run); they agree with each other."""
        before = len(small_chunks)
        got = parallel.run(now)
        after = len(small_chunks)
        forked = after > before
        want = serial.run(now)
        assert len(small_chunks) == after, "the serial site forked"
        assert comparable(got) == comparable(want)
        assert state_files(parallel) == state_files(serial)
        assert got["rendered_devices"] == expect_rendered
        assert forked == expect_fork
        return got

    first = step(1000, 16, True)
    assert first["incremental"] is False
    assert step(1000, 0, False)["incremental"] is True

    for site in (parallel, serial):
        site.params["devices"][3]["lines"][0]["display_name"] = "Moved desk"
    assert step(1000, 1, False)["changed_devices"] == ["p03"]

    # Five devices at once: the dirty subset goes through the pool.
    for site in (parallel, serial):
        site.params["sites"] = dict(SITES, berlin={"ntp_server": "ntp2.berlin.example.net"})
    berlin = step(1000, 5, True)
    assert berlin["incremental"] is True and set(berlin["changed_devices"]) <= {"p01", "p04", "p07", "p10", "p13"}

    # The windows close: the devices whose served files change are promoted and rendered, by the pool.
    closed = step(1000 + 2 * 86400, 2, True)
    assert closed["bootstrap"]["expired"] and closed["incremental"] is True
    assert step(1000 + 2 * 86400, 0, False)["changed"] is False
    assert parallel.runs == serial.runs == 6
