"""Tie a child process's life to its parent's, so no part of a run outlives it.

`authload run` starts Locust, Locust's `--processes` master forks workers, and
Locust starts the mock: if a parent is killed outright (`kill -9`, an OOM kill,
a CI job cancelled), a child left behind would keep sending load or creating
users with no one to report or clean up. On Linux the kernel sends the child a
signal when its parent dies (`PR_SET_PDEATHSIG`); elsewhere a daemon thread
watches the parent pid. The signal is SIGTERM, which every authload process
handles as a graceful stop: figures reported, users deleted.

Stdlib only: it runs in gevent-patched Locust processes too.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import signal
import sys
import threading
import time

PARENT_PID_VARIABLE = "AUTHLOAD_PARENT_PID"  # set by `authload run` for the Locust it starts
_PR_SET_PDEATHSIG = 1
_WATCH_INTERVAL = 0.5  # seconds; only where the kernel cannot tell us


def _prctl_pdeathsig(signum: int) -> bool:
    """Ask Linux to send `signum` when the parent exits; False where that is not possible."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        return int(libc.prctl(_PR_SET_PDEATHSIG, signum, 0, 0, 0)) == 0
    except (OSError, AttributeError):
        return False


def die_with_parent(parent_pid: int, signum: int = signal.SIGTERM) -> None:
    """Receive `signum` as soon as `parent_pid`, our parent now, is gone.

    A parent that died before this call (the
    race the kernel's flag cannot see) is noticed by comparing `getppid()`.
    """
    if _prctl_pdeathsig(signum):
        if os.getppid() != parent_pid:
            os.kill(os.getpid(), signum)
        return
    threading.Thread(target=_watch, args=(parent_pid, signum), daemon=True, name="lifeline").start()


def _watch(parent_pid: int, signum: int) -> None:
    while os.getppid() == parent_pid:  # an orphan is re-parented: the surest sign, zombies included
        time.sleep(_WATCH_INTERVAL)
    os.kill(os.getpid(), signum)


def die_with_launcher(variable: str = PARENT_PID_VARIABLE) -> None:
    """Die with the process that named itself in `variable` when it is our parent.

    The variable is inherited further down (the mock, forked workers), where
    the parent is someone else: they tie themselves to their own parent.
    """
    launcher = os.environ.get(variable, "")
    if launcher.isdigit() and int(launcher) == os.getppid():
        die_with_parent(int(launcher))
