# Copyright (c) sipfleet.provisioning contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Per-device work of a fleet in forked worker processes, with the serial result.

:func:`map_devices` cuts the device list into contiguous chunks, runs
``function(inventory, chunk)`` for each in a pool of forked processes and
returns the chunks' results in submission order, so whatever the caller
builds from them (files, errors, warnings) is in the order the serial loop
gives. Below :data:`PARALLEL_MIN_DEVICES` devices, with one worker, or where
this system cannot fork, it runs the one chunk in this process.

Only ``fork`` is used: the module runs from an AnsiballZ zip, whose
``__main__`` a ``spawn`` or ``forkserver`` child would run again. The
children inherit the inventory and devices at the fork; only results travel
back (pickled), so each chunk's bytes are dropped once merged.

What the serial loop shares between devices through the inventory is
carried back and merged in order:

- ``inventory.dropped`` (the settings devices do not get, collected by
  ``not_carried``): each chunk's new entries are appended in chunk order,
  which is device order, as the serial loop appends them.
- ``inventory.derived`` (what renderers compute once a run): every entry a
  chunk made comes back; the first chunk's value is kept, as the first
  device's is in the serial loop. Such a value must not depend on which
  device made it; if two chunks made different values for one key, or a
  chunk found a key missing, made none, while an earlier chunk made it, the
  devices did depend on one another through it (a check of one device
  against an earlier one): the pool's results are dropped and the whole list
  runs again in this process, serially. Correct first, fast where it can be.

Each chunk starts from ``inventory.derived`` as it was at the fork, so what
a chunk gives does not depend on which chunks its worker ran before.
``Device.derived`` (a device's own values, computed once a run) is not
carried back: a later step computes it again, to the same value.

A worker dies with the run (Linux's parent-death signal): it holds copies
of the run's lock descriptors, which a worker left behind by a killed run
would keep held. A worker that dies (killed by the kernel's OOM killer, a
crash in C code) is a :class:`WorkerError` naming its signal, not a wait
for its result forever with the run's locks held: the pool is a
``concurrent.futures`` one, whose results fail once a worker is gone.
Not a serial retry in this process: what killed a worker (memory, a
crash) would likely kill the run itself, without a word.

A :class:`~._errors.ProvisioningError` in a chunk is raised in this process
at its chunk's turn, so the first one in device order wins, as serially;
any other exception is raised as :class:`WorkerError` with the worker's
traceback text.
"""

from __future__ import annotations

import gc
import os
import pickle
import signal
import sys
import traceback
from concurrent.futures.process import BrokenProcessPool

from ansible_collections.sipfleet.provisioning.plugins.module_utils._errors import ProvisioningError

#: At most this many workers, whatever the host has: the disk, not the
#: cores, is the limit beyond it.
MAX_WORKERS = 8
#: Below this many devices a fork costs more than it saves (measured: at
#: 1,000 devices the pool's start and the results' transfer eat the gain on
#: 2 cores).
PARALLEL_MIN_DEVICES = 1500
#: Chunks per worker: several, so a slow chunk does not leave a core idle.
CHUNKS_PER_WORKER = 4
#: A chunk is never smaller than this: its result's transfer has a cost.
MIN_CHUNK_DEVICES = 100


class WorkerError(Exception):
    """A worker process failed with an exception that is not a ProvisioningError (a bug); it carries its traceback text."""


def worker_count(workers):
    """The number of processes for the ``workers`` option: 0 = one per usable core, at most :data:`MAX_WORKERS`."""
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 0:
        raise ProvisioningError("must be 0 (one per usable core, at most %d) or a number of processes, got %r"
                                % (MAX_WORKERS, workers), field="workers")
    if workers:
        return workers
    try:
        cores = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cores = os.cpu_count() or 1
    return max(1, min(cores, MAX_WORKERS))


def chunk_bounds(count, workers):
    """``[(start, end), ...]``: ``count`` items cut into contiguous chunks, in order."""
    size = max(MIN_CHUNK_DEVICES, -(-count // (workers * CHUNKS_PER_WORKER)))
    return [(start, min(start + size, count)) for start in range(0, count, size)]


class _TrackingDict(dict):
    """``inventory.derived`` in a worker: records the keys it made and how often each was asked for and lacked.

    A cache is asked for once, found missing, and made: that chunk computed
    what the serial loop would have read from an earlier chunk (the merge
    compares the values). Asked for and lacked twice before it was made, or
    never made, means a device went on without it (its own check failed):
    the serial loop would have given that device an earlier chunk's value.
    """

    def __init__(self, initial):
        super().__init__(initial)
        self.made = {}
        self.misses = {}

    def _miss(self, key):
        if not dict.__contains__(self, key):
            self.misses[key] = self.misses.get(key, 0) + 1

    def get(self, key, default=None):
        self._miss(key)
        return dict.get(self, key, default)

    def __getitem__(self, key):
        self._miss(key)
        return dict.__getitem__(self, key)

    def __contains__(self, key):
        self._miss(key)
        return dict.__contains__(self, key)

    def setdefault(self, key, default=None):
        self._miss(key)
        if not dict.__contains__(self, key):
            self[key] = default
        return dict.__getitem__(self, key)

    def __setitem__(self, key, value):
        self.made[key] = value
        dict.__setitem__(self, key, value)

    def went_on_without(self):
        """The keys some device lacked and did not make itself (see the class doc)."""
        return [key for key, count in self.misses.items() if count > 1 or key not in self.made]


#: What the forked workers run: set in the parent right before the fork, read in the children.
_JOB = {}


def _portable_error(exc):
    # Rebuilt without calling __init__: ProvisioningError's subclasses take other arguments.
    return type(exc), exc.args, dict(exc.__dict__)


def _restore_error(portable):
    cls, args, state = portable
    exc = cls.__new__(cls, *args)
    exc.args = args
    exc.__dict__.update(state)
    return exc


def _run_chunk(index):
    """In a worker: run chunk ``index``; returns ``(kind, payload, dropped, made, missed)``, all picklable."""
    function, inventory, devices, bounds = _JOB["function"], _JOB["inventory"], _JOB["devices"], _JOB["bounds"]
    start, end = bounds[index]
    dropped = getattr(inventory, "dropped", None)
    before = dict((key, len(value)) for key, value in dropped.items()) if dropped is not None else {}
    # Each chunk starts from the inventory as forked, whichever chunks this
    # worker ran before: what a chunk gives does not depend on the schedule.
    derived = inventory.derived = _TrackingDict(_JOB["derived"])
    try:
        payload = ("ok", function(inventory, devices[start:end]))
    except ProvisioningError as exc:
        payload = ("error", _portable_error(exc))
    except BaseException:   # pylint: disable=broad-except
        payload = ("crash", "".join(traceback.format_exception(*sys.exc_info())))
    new_dropped = []
    if dropped is not None:
        for key, value in dropped.items():
            if len(value) > before.get(key, 0):
                new_dropped.append((key, value[before.get(key, 0):]))
    made = [(key, pickle.dumps(value, pickle.HIGHEST_PROTOCOL)) for key, value in derived.made.items()]
    result = payload + (new_dropped, made, derived.went_on_without())
    # Pickled here so that an unpicklable result is this chunk's error, not the pool's.
    try:
        return pickle.dumps(result, pickle.HIGHEST_PROTOCOL)
    except Exception:   # pylint: disable=broad-except
        return pickle.dumps(("crash", "".join(traceback.format_exception(*sys.exc_info())), [], [], []),
                            pickle.HIGHEST_PROTOCOL)


#: prctl(2) option: the signal a process gets when its parent dies.
_PR_SET_PDEATHSIG = 1
#: The exit status of a worker that could not arm the parent-death signal.
_NO_PDEATHSIG_STATUS = 71


def _start_worker(parent):
    """In a new worker: die with the run's process.

    A worker holds copies of every descriptor the run had open, its locks
    (the state directory's, the roots') among them: a worker left behind by
    a killed run would keep them held, and every later run would wait for
    them. Linux's parent-death signal ends it with its parent.
    """
    try:
        import ctypes
        prctl = ctypes.CDLL(None, use_errno=True).prctl
        prctl.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong]
        prctl.restype = ctypes.c_int
    except (ImportError, OSError, AttributeError):
        # Not Linux: no parent-death signal to arm.
        prctl = None
    if prctl is not None and prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) != 0:
        # A worker that may outlive the run must not start: the run fails
        # with a WorkerError naming this status.
        os._exit(_NO_PDEATHSIG_STATUS)
    if os.getppid() != parent:
        # The run died before the signal was armed.
        os._exit(1)


def _fork_pool(processes):
    """A ``fork`` executor, or ``(None, reason)`` where this system cannot fork (its workers fork at the first submit)."""
    if not hasattr(os, "fork"):
        return None, "this system has no fork()"
    try:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor
        context = multiprocessing.get_context("fork")
        return ProcessPoolExecutor(processes, mp_context=context, initializer=_start_worker,
                                   initargs=(os.getpid(),)), None
    except (ImportError, ValueError) as exc:
        return None, "no fork context (%s)" % (exc,)


def _fork_failure(exc):
    # EAGAIN: a process limit (ulimit -u, systemd TasksMax); ENOMEM.
    return "fork() failed: %s" % (os.strerror(exc.errno) if exc.errno else exc)


def _submit(pool, count):
    """``(results iterator in order, worker processes)``: forks the workers."""
    # The children only read what the parent built: frozen, the garbage
    # collector does not write to (and so copy) every page of it in each.
    gc.freeze()
    try:
        chunks = pool.map(_run_chunk, range(count))
    finally:
        gc.unfreeze()
    # With fork, every worker is started at the first submit.
    return chunks, _workers(pool)


def _workers(pool):
    return list(dict(getattr(pool, "_processes", None) or {}).values())


def _stop(pool, processes, kill):
    """End the pool; ``kill``: at once, a worker still running a chunk is killed (an error or a dead worker ended the run).

    Returns once the pool's thread and workers are gone: a later fork must
    not copy a thread of this pool.
    """
    # Those started before a fork failed too.
    processes = processes + [process for process in _workers(pool) if process not in processes]
    # shutdown(wait=False) forgets the pool's thread: joined here.
    thread = getattr(pool, "_executor_manager_thread", None)
    pool.shutdown(wait=False, cancel_futures=True)
    for process in processes if kill else ():
        if process.exitcode is None:
            try:
                process.kill()
            except (OSError, ValueError):
                pass
    if thread is not None:
        thread.join()
    for process in processes:
        process.join()


def _death_of(processes):
    """What a broken pool's workers died of, for the error."""
    causes = []
    for process in processes:
        process.join(5)
        code = process.exitcode
        if code is None or code == 0:
            continue
        if code == _NO_PDEATHSIG_STATUS:
            cause = "could not arm its parent-death signal (prctl failed)"
        elif code < 0:
            try:
                cause = "was killed by %s" % signal.Signals(-code).name
            except ValueError:
                cause = "was killed by signal %d" % -code
        else:
            cause = "exited with status %d" % code
        if cause not in causes:
            causes.append(cause)
    # The pool ends the other workers with SIGTERM once one is gone.
    first = [cause for cause in causes if not cause.endswith("SIGTERM")] or causes
    return first[0] if first else "died"


def map_devices(function, inventory, devices, workers, warnings=None, min_devices=None):
    """``[function(inventory, chunk), ...]`` for contiguous chunks of ``devices``, in order (see the module doc).

    ``workers`` is a process count (see :func:`worker_count`). ``warnings``,
    a list, gets a line when the pool could not start and the work ran
    serially.
    """
    devices = list(devices)
    min_devices = PARALLEL_MIN_DEVICES if min_devices is None else min_devices
    if workers <= 1 or len(devices) < max(min_devices, 2):
        return [function(inventory, devices)]
    bounds = chunk_bounds(len(devices), workers)
    if len(bounds) < 2:
        return [function(inventory, devices)]
    derived_before = dict(inventory.derived)
    dropped = getattr(inventory, "dropped", None)
    dropped_before = dict((key, list(value)) for key, value in dropped.items()) if dropped is not None else None
    _JOB.update(function=function, inventory=inventory, devices=devices, bounds=bounds, derived=derived_before)
    try:
        pool, reason = _fork_pool(min(workers, len(bounds)))
        if pool is None:
            if warnings is not None:
                warnings.append("workers: %s; %d devices were handled in one process" % (reason, len(devices)))
            return [function(inventory, devices)]
        processes = []
        done = False
        try:
            try:
                chunks, processes = _submit(pool, len(bounds))
            except OSError as exc:
                if warnings is not None:
                    warnings.append("workers: %s; %d devices were handled in one process"
                                    % (_fork_failure(exc), len(devices)))
                return [function(inventory, devices)]
            try:
                results, consistent = _merge(chunks, inventory)
                done = True
            except BrokenProcessPool:
                raise WorkerError("a worker process %s (out of memory?); "
                                  "workers: 1 renders in one process" % _death_of(processes)) from None
        finally:
            _stop(pool, processes, not done)
    finally:
        _JOB.clear()
    if consistent:
        return results
    # Devices depended on one another through inventory.derived: the serial result.
    inventory.derived.clear()
    inventory.derived.update(derived_before)
    if dropped is not None:
        dropped.clear()
        dropped.update(dropped_before)
    return [function(inventory, devices)]


def _merge(chunks, inventory):
    """The chunks' results in order, merged into ``inventory``; ``(results, consistent)``."""
    results = []
    made_by_earlier = {}
    consistent = True
    dropped = getattr(inventory, "dropped", None)
    for blob in chunks:
        kind, payload, new_dropped, made, missed = pickle.loads(blob)
        del blob
        if kind == "crash":
            raise WorkerError("a worker process failed:\n%s" % payload)
        if consistent:
            for key in missed:
                if key in made_by_earlier:
                    consistent = False
            for key, value in made:
                if key in made_by_earlier:
                    if made_by_earlier[key] != value:
                        consistent = False
                    continue
                made_by_earlier[key] = value
                if key not in inventory.derived:
                    inventory.derived[key] = pickle.loads(value)
        if kind == "error":
            if consistent:
                raise _restore_error(payload)
            # Maybe an error of the inconsistency itself: the serial run decides.
            return results, False
        if dropped is not None:
            for key, names in new_dropped:
                dropped.setdefault(key, []).extend(names)
        results.append(payload)
    return results, consistent
