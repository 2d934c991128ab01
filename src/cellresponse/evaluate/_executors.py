"""Where the cells of a benchmark run: in this process, in local worker processes, or on Ray.

An executor takes one picklable function ``fn(shared, job)``, the object every job
shares (the dataset and the split: sent to each worker once, never per job) and the
jobs, and yields ``(index, result)`` as jobs complete, in any order; the caller puts
the results back in a fixed order, so the numbers do not depend on the executor.

- ``serial``: the jobs in order, in this process (the default).
- ``processes``: a pool of local worker processes (``forkserver``: a fork of a driver
  that has started torch or OpenMP threads can deadlock). The shared object goes to
  each worker once, through the pool's initializer. At most ``workers`` jobs are in
  flight, so when a worker dies (killed, out of memory) the jobs it may have held are
  known: the pool is rebuilt and they run again, up to ``max_retries`` times each.
- ``ray``: one Ray task per job on a running cluster (``address``) or on a local Ray
  started for the run. The shared object is put in the object store once; each worker
  process fetches it once (cached by its object ID). Ray retries a task whose worker
  died (``max_retries``); the node that ran each task is counted
  (:attr:`Executor.nodes`).

A job that still fails because its worker died is yielded as a :class:`WorkerLost`
(the caller records the cell as failed); any other exception raised by ``fn`` is
raised in the driver, as the serial loop would.
"""

from __future__ import annotations

import logging
import os
import socket
from collections import Counter
from collections.abc import Callable, Generator, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from cellresponse.errors import InputError

log = logging.getLogger("cellresponse")

ExecutorKind = Literal["serial", "processes", "ray"]
EXECUTORS: tuple[str, ...] = ("serial", "processes", "ray")
RAY_INSTALL = "pip install 'cellresponse[distributed]'"
#: ``(job index, result)`` pairs as jobs complete (a generator: ``close()`` stops the workers' jobs)
Results = Generator[tuple[int, Any], None, None]


@dataclass(frozen=True)
class ExecutorConfig:
    """Which executor runs the cells of a benchmark, and with how many workers.

    Attributes
    ----------
    kind
        ``"serial"`` (this process, the default), ``"processes"`` (local worker
        processes) or ``"ray"`` (a Ray cluster).
    workers
        Worker processes (``processes``) or CPUs of a local Ray (``ray`` without
        ``ray_address``); ``None``: the machine's CPU count.
    ray_address
        ``host:port`` of a running Ray cluster's head (``ray start --head``), or
        ``"auto"``; ``None`` starts a local Ray for the run.
    max_retries
        How often a job whose worker died runs again before its cell is recorded as failed.
    """

    kind: str = "serial"
    workers: int | None = None
    ray_address: str | None = None
    max_retries: int = 2


class WorkerLost(RuntimeError):
    """A job whose worker died more often than the executor retries."""


def import_ray() -> Any:
    """The ``ray`` module, or an ImportError naming the install command."""
    try:
        import ray
    except ImportError as err:
        raise ImportError(f"the ray executor needs Ray, which is not installed: {RAY_INSTALL}") from err
    return ray


def check_executor(config: ExecutorConfig) -> None:
    """Refuse an executor that cannot run, before any work starts.

    Raises
    ------
    InputError
        For an unknown kind, ``workers`` < 1, ``max_retries`` < 0, a ``ray_address``
        without the ray executor, one that is not ``host:port`` or where nothing listens.
    ImportError
        For the ray executor without Ray installed (naming the install command).
    """
    if config.kind not in EXECUTORS:
        raise InputError(f"--executor must be one of {list(EXECUTORS)}, got {config.kind!r}", source="--executor")
    if config.workers is not None and int(config.workers) < 1:
        raise InputError(f"--workers must be an integer >= 1, got {config.workers!r}", source="--workers")
    if config.max_retries < 0:
        raise InputError(f"max_retries must be >= 0, got {config.max_retries}", source="max_retries")
    if config.ray_address is not None and config.kind != "ray":
        raise InputError(
            f"--ray-address {config.ray_address} needs --executor ray (got --executor {config.kind})",
            source="--ray-address",
        )
    if config.kind != "ray":
        return
    import_ray()
    if config.ray_address not in (None, "auto"):
        _check_reachable(str(config.ray_address))


def _check_reachable(address: str, timeout: float = 5.0) -> None:
    """A Ray head listens at ``host:port`` (Ray itself would wait minutes before failing)."""
    host, sep, port = address.rpartition(":")
    if address.startswith("ray://"):
        host, sep, port = address[len("ray://") :].rpartition(":")
    if not sep or not host or not port.isdigit():
        raise InputError(
            f"--ray-address {address!r}: expected host:port of a Ray head, e.g. 127.0.0.1:6379", source="--ray-address"
        )
    try:
        with socket.create_connection((host, int(port)), timeout=timeout):
            pass
    except OSError as err:
        raise InputError(
            f"--ray-address {address}: no Ray head answers there ({err.strerror or err}); start one with "
            "`ray start --head`, or leave --ray-address out to start a local Ray",
            source="--ray-address",
        ) from None


class Executor:
    """Runs ``fn(shared, job)`` for every job and yields ``(index, result)`` as they complete."""

    kind = "serial"

    def __init__(self, config: ExecutorConfig) -> None:
        self.config = config
        #: Jobs run per node (Ray) or per worker process id (processes).
        self.nodes: Counter[str] = Counter()

    def run(self, fn: Callable[[Any, Any], Any], shared: Any, jobs: Sequence[Any]) -> Results:
        for i, job in enumerate(jobs):
            yield i, fn(shared, job)
            self.nodes["driver"] += 1

    def describe(self) -> dict[str, Any]:
        """What ``config.json`` records about the executor (not part of any cell's key)."""
        return {"kind": self.kind, "workers": self.config.workers, "jobs_per_node": dict(sorted(self.nodes.items()))}

    def close(self) -> None:
        """Release the workers."""


# ------------------------------------------------------------------ local processes
_WORKER_SHARED: Any = None


def _init_worker(shared: Any) -> None:
    global _WORKER_SHARED
    _WORKER_SHARED = shared
    _single_threaded()


def _single_threaded() -> None:
    """One BLAS/OpenMP thread per worker: the workers already fill the CPUs, and more
    threads per worker only make them wait on each other."""
    try:
        from threadpoolctl import threadpool_limits

        threadpool_limits(limits=1)
    except ImportError:  # threadpoolctl is a dependency; a bare install still runs
        pass


def _call_in_worker(fn: Callable[[Any, Any], Any], job: Any) -> tuple[str, Any]:
    return f"pid-{os.getpid()}", fn(_WORKER_SHARED, job)


class ProcessExecutor(Executor):
    kind = "processes"

    def run(self, fn: Callable[[Any, Any], Any], shared: Any, jobs: Sequence[Any]) -> Results:
        import multiprocessing
        from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
        from concurrent.futures.process import BrokenProcessPool

        workers = min(int(self.config.workers or os.cpu_count() or 1), max(len(jobs), 1))
        todo = list(range(len(jobs)))[::-1]  # popped from the end: job order
        deaths: Counter[int] = Counter()
        ctx = multiprocessing.get_context("forkserver")
        # the fork server imports the engine once (no threads yet), so each worker forked
        # from it starts without importing pandas, scikit-learn and the models again
        ctx.set_forkserver_preload(["cellresponse.evaluate"])
        while todo:
            pool = ProcessPoolExecutor(workers, mp_context=ctx, initializer=_init_worker, initargs=(shared,))
            running: dict[Future, int] = {}
            broken = finished = False
            try:
                while (todo or running) and not broken:
                    while todo and len(running) < workers:
                        i = todo.pop()
                        running[pool.submit(_call_in_worker, fn, jobs[i])] = i
                    done, _ = wait(running, return_when=FIRST_COMPLETED)
                    for fut in done:
                        i = running.pop(fut)
                        try:
                            node, result = fut.result()
                        except BrokenProcessPool:
                            broken = True
                            running[fut] = i  # handled below with the others in flight
                            continue
                        self.nodes[node] += 1
                        yield i, result
                if broken:  # every job in flight may have been on the dead worker
                    lost = sorted(running.values())
                    running.clear()
                    for i in lost:
                        deaths[i] += 1
                        if deaths[i] > self.config.max_retries:
                            yield i, WorkerLost(f"its worker process died {deaths[i]} times")
                        else:
                            todo.append(i)
                    todo.sort(reverse=True)
                    log.warning("a worker process died; %d job(s) run again in a new pool", len(lost))
                finished = True
            finally:
                if not finished:  # interrupted: stop the cells in flight instead of waiting for them
                    for process in list(getattr(pool, "_processes", {}).values()):
                        process.terminate()
                pool.shutdown(wait=finished, cancel_futures=True)


# ------------------------------------------------------------------ ray
_RAY_SHARED: dict[str, Any] = {}


def _ray_call(fn: Callable[[Any, Any], Any], shared_ref: list[Any], job: Any) -> tuple[str, Any]:
    """One job on a Ray worker; the shared object is fetched once per worker process."""
    import ray

    ref = shared_ref[0]  # wrapped in a list so that Ray does not fetch it for every task
    key = ref.hex()
    if key not in _RAY_SHARED:
        _RAY_SHARED.clear()
        _RAY_SHARED[key] = ray.get(ref)
        _single_threaded()
    return ray.get_runtime_context().get_node_id(), fn(_RAY_SHARED[key], job)


class RayExecutor(Executor):
    kind = "ray"

    def __init__(self, config: ExecutorConfig) -> None:
        super().__init__(config)
        self._started = False

    def _connect(self) -> Any:
        ray = import_ray()
        if ray.is_initialized():
            return ray
        if self.config.ray_address is not None:
            ray.init(address=self.config.ray_address, log_to_driver=False, logging_level=logging.WARNING)
        else:
            ray.init(
                num_cpus=int(self.config.workers or os.cpu_count() or 1),
                include_dashboard=False,
                _node_ip_address="127.0.0.1",
                log_to_driver=False,
                logging_level=logging.WARNING,
            )
        self._started = True
        return ray

    def run(self, fn: Callable[[Any, Any], Any], shared: Any, jobs: Sequence[Any]) -> Results:
        ray = self._connect()
        from ray.exceptions import RayError, TaskCancelledError, WorkerCrashedError

        remote = ray.remote(_ray_call).options(num_cpus=1, max_retries=self.config.max_retries)
        shared_ref = [ray.put(shared)]
        refs = {remote.remote(fn, shared_ref, job): i for i, job in enumerate(jobs)}
        try:
            while refs:
                ready, _ = ray.wait(list(refs), num_returns=1)
                i = refs.pop(ready[0])
                try:
                    node, result = ray.get(ready[0])
                except (WorkerCrashedError, TaskCancelledError) as err:
                    yield i, WorkerLost(f"its Ray worker died after {self.config.max_retries} retries: {err}")
                    continue
                except RayError as err:  # fn raised: raise it here, as the serial loop would
                    cause = getattr(err, "cause", None)
                    raise (cause if isinstance(cause, BaseException) else err) from None
                self.nodes[node] += 1
                yield i, result
        finally:
            for ref in refs:
                ray.cancel(ref, force=True)

    def close(self) -> None:
        if self._started:
            import ray

            ray.shutdown()
            self._started = False


def make_executor(config: ExecutorConfig | None) -> Executor:
    """The executor of ``config`` (checked with :func:`check_executor`)."""
    config = config or ExecutorConfig()
    check_executor(config)
    return {"serial": Executor, "processes": ProcessExecutor, "ray": RayExecutor}[config.kind](config)


__all__ = [
    "EXECUTORS",
    "RAY_INSTALL",
    "Executor",
    "ExecutorConfig",
    "ExecutorKind",
    "WorkerLost",
    "check_executor",
    "import_ray",
    "make_executor",
]
