"""The simulation engine: a batch of school systems in NumPy arrays, stepped a year at a time."""

from sim.engine.batch import Batch, roles_frame

__all__ = ["Batch", "roles_frame"]
