"""Imported only by the worker launcher (the forkserver), as a preload module: it dies with the main process."""

from sim.parallel.lifeline import die_with_parent

die_with_parent()
