"""Imported only by the worker launcher (the forkserver), as a preload module: it dies with the main process."""

import os

from sim.parallel.lifeline import PARENT_ENV, die_with_parent

# the workers' parent: a worker started just before the launcher died checks against this (see _worker_start)
LAUNCHER_PID = os.getpid()

die_with_parent(int(os.environ[PARENT_ENV]) if os.environ.get(PARENT_ENV, "").isdigit() else None)
