"""How pytest-xdist hands out the tests (--dist loadgroup, as pyproject.toml asks), with one change for SLURM.

The SLURM tests share one worker and its cluster (xdist_group "slurm"). The wall-time test can only end
once SLURM has killed a job at its one-minute limit, which it checks every 30 s: its job dies 60-90 s
after it starts. Run with the other SLURM tests, that test kept its worker waiting, idle, for half a
minute or more. Its group, "slurm-last", is therefore handed out last: to the worker that holds the
cluster (the one that took "slurm"), once every other test has been handed out. That worker runs the
rest of the suite meanwhile, and by then SLURM has usually killed the job and the sweep has redone its
runs. What each test checks is unchanged; only when the wall-time test runs.
"""

from __future__ import annotations

from typing import Any

from xdist.scheduler import LoadGroupScheduling

FIRST, LAST = "slurm", "slurm-last"


class SlurmLastScheduling(LoadGroupScheduling):
    """LoadGroupScheduling, except that the "slurm-last" group goes last, to the worker that ran "slurm"."""

    def __init__(self, config: Any, log: Any = None) -> None:
        super().__init__(config, log)
        self.cluster_node: Any = None  # the worker that took the "slurm" group, and so holds the cluster

    def _split_scope(self, nodeid: str) -> str:
        scope = super()._split_scope(nodeid)
        # xdist joins a test's group names with "_": the wall-time test is in "slurm" (its module's) too
        return LAST if LAST in scope.split("_") else scope

    def _assign_work_unit(self, node: Any) -> None:
        scope = next((scope for scope in self.workqueue if scope != LAST), None)
        if scope is None:
            if not self.workqueue:
                return
            # only the late group is left: to the cluster's worker, whichever worker asked
            scope = LAST
            if self.cluster_node in self.assigned_work and not self.cluster_node.shutting_down:
                node = self.cluster_node
        elif scope == FIRST:
            self.cluster_node = node
        work_unit = self.workqueue.pop(scope)
        self.assigned_work.setdefault(node, {})[scope] = work_unit
        collection = self.registered_collections[node]
        node.send_runtest_some([collection.index(nodeid) for nodeid, done in work_unit.items() if not done])
        if not self.workqueue:
            # all handed out: a worker finishes what it holds, then stops (a worker that found nothing it
            # could take would otherwise wait for work forever, holding back its last test)
            for other in self.nodes:
                if not other.shutting_down:
                    other.shutdown()
