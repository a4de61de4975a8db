"""Pluggable executors: where the runner's tasks run.

- ``local``: a process pool on this machine (default: one worker per core).
  A worker that dies (segfault, OOM kill) breaks the pool; the executor starts
  a new pool and resubmits the unfinished tasks, and a task present at two
  breaks is run alone so the one that kills workers is identified and turned
  into an error result instead of taking the run down.
- ``serial``: in this process, no pool (debugging, profiling).
- ``dask``: an existing Dask distributed cluster (``--executor dask
  --dask-address tcp://...``) or, without an address, a `LocalCluster`.
  Dask was chosen over Ray because its `distributed` scheduler is a pure-Python
  pip install with a local cluster that behaves like a remote one, the task
  model (independent pure functions, results by future) is exactly the
  runner's, and it needs no extra daemon or object store. Install with the
  ``[dask]`` extra.
"""
from __future__ import annotations

import multiprocessing as mp
import os
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from typing import Any, Callable, Iterator, Sequence


class WorkerDied(RuntimeError):
    """A task's worker process died while running it."""


Result = tuple[int, Any]   # (task index, return value or exception)


def default_workers() -> int:
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1)


class SerialExecutor:
    name = "serial"

    def __init__(self, initializer: Callable[[], None] | None = None):
        if initializer:
            initializer()

    def run(self, fn: Callable[[Any], Any], tasks: Sequence[Any]) -> Iterator[Result]:
        for i, task in enumerate(tasks):
            try:
                yield i, fn(task)
            except Exception as exc:
                yield i, exc

    def close(self) -> None:
        pass


class LocalExecutor:
    """Process pool with recovery from dead workers."""

    name = "local"

    def __init__(self, workers: int | None = None, initializer: Callable[[], None] | None = None):
        self.workers = workers or default_workers()
        self.initializer = initializer
        self._ctx = mp.get_context("spawn")   # fork after torch/onnx threads start can deadlock

    def _pool(self, n: int) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(max_workers=n, mp_context=self._ctx, initializer=self.initializer)

    def run(self, fn: Callable[[Any], Any], tasks: Sequence[Any]) -> Iterator[Result]:
        pending = list(range(len(tasks)))
        breaks: dict[int, int] = {}
        while pending:
            suspects = [i for i in pending if breaks.get(i, 0) >= 2]
            normal = [i for i in pending if breaks.get(i, 0) < 2]
            for i in suspects:                      # isolate repeat offenders
                yield from self._run_batch(fn, tasks, [i], 1, breaks, isolate=True)
            done = set(suspects)
            if normal:
                for res in self._run_batch(fn, tasks, normal, self.workers, breaks, isolate=False):
                    done.add(res[0])
                    yield res
            pending = [i for i in pending if i not in done]

    def _run_batch(self, fn, tasks, indices, n_workers, breaks, isolate) -> Iterator[Result]:
        pool = self._pool(min(n_workers, len(indices)))
        futures = {pool.submit(fn, tasks[i]): i for i in indices}
        try:
            not_done = set(futures)
            while not_done:
                finished, not_done = wait(not_done, return_when=FIRST_COMPLETED)
                for fut in finished:
                    i = futures[fut]
                    try:
                        yield i, fut.result()
                    except BrokenProcessPool:
                        if isolate:
                            yield i, WorkerDied("worker process died while running this task "
                                                "(crashed twice with other tasks and once alone)")
                        else:
                            breaks[i] = breaks.get(i, 0) + 1
                    except Exception as exc:
                        yield i, exc
        finally:
            pool.shutdown(wait=True, cancel_futures=True)

    def close(self) -> None:
        pass


class DaskExecutor:
    """Runs tasks on a Dask distributed cluster (local one if no address)."""

    name = "dask"

    def __init__(self, workers: int | None = None, initializer: Callable[[], None] | None = None,
                 address: str | None = None):
        try:
            from distributed import Client, LocalCluster
        except ImportError as exc:
            raise RuntimeError("the dask executor needs the [dask] extra: "
                               "pip install -e '.[dask]'") from exc
        if address:
            self.client = Client(address)
            self._cluster = None
        else:
            self._cluster = LocalCluster(n_workers=workers or default_workers(), threads_per_worker=1,
                                         processes=True, dashboard_address=None)
            self.client = Client(self._cluster)
        if initializer:
            self.client.run(initializer)

    def run(self, fn: Callable[[Any], Any], tasks: Sequence[Any]) -> Iterator[Result]:
        from distributed import as_completed
        futures = self.client.map(fn, list(tasks), pure=False)
        index = {f.key: i for i, f in enumerate(futures)}
        for fut in as_completed(futures):
            i = index[fut.key]
            try:
                yield i, fut.result()
            except Exception as exc:
                yield i, exc
            fut.release()

    def close(self) -> None:
        self.client.close()
        if self._cluster is not None:
            self._cluster.close()


def make_executor(kind: str, workers: int | None, initializer: Callable[[], None] | None = None,
                  address: str | None = None):
    if kind == "local":
        return LocalExecutor(workers, initializer)
    if kind == "serial":
        return SerialExecutor(initializer)
    if kind == "dask":
        return DaskExecutor(workers, initializer, address)
    from bench.registry import UnknownNameError
    raise UnknownNameError("executor", kind, ["local", "serial", "dask"])
