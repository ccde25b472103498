"""Hand-rolled workers: one multiprocessing.Process subclass per worker, fed by queues.

This is what people write before they know about pools; it shows what a pool's
bookkeeping costs or saves.  Tasks travel in chunks (Pool.map's chunk size) and
come back tagged with their index, so the caller gets them in order.
"""
from __future__ import annotations

import multiprocessing
import pickle
import queue
import traceback
from typing import Any, Callable, Sequence

from bench.strategies.base import THREADS_ADVICE, NotPicklable, StrategyBase, mp_context, pickle_problem, pool_chunksize

_POLL_SECONDS = 0.2
_STOP = None
#: marks a worker's error that is a result it could not pickle (raised as NotPicklable in the parent)
_NOT_PICKLABLE = "not-picklable:"


def _pickled_results(results: list[Any]) -> bytes | str:
    """The results pickled here, or why they cannot be (a message starting with _NOT_PICKLABLE).

    Queue.put pickles in a feeder thread that prints the error and drops the
    item, so the parent would wait for it forever; pickling first makes the
    failure an answer.  It costs one more copy of the pickled bytes.
    """
    try:
        return pickle.dumps(results, protocol=pickle.HIGHEST_PROTOCOL)
    except Exception:
        problem = next(filter(None, (pickle_problem(r, pickle.dumps) for r in results)), "unknown")
        return (f"{_NOT_PICKLABLE}a task's result cannot be pickled to come back from the worker ({problem}): "
                f"return plain data (numbers, strings, lists, arrays), {THREADS_ADVICE}")


class QueueWorker:
    """Body of a worker process; kept apart from Process so it pickles under spawn."""

    @staticmethod
    def loop(inbox: Any, outbox: Any) -> None:
        while (message := inbox.get()) is not _STOP:
            fn, chunk_id, items = message
            try:
                payload = _pickled_results([fn(item) for item in items])
            except BaseException as exc:  # report, don't die silently: the parent must know
                outbox.put((chunk_id, None, f"{type(exc).__name__}: {exc}\n{traceback.format_exc()}"))
                continue
            if isinstance(payload, str):
                outbox.put((chunk_id, None, payload))
            else:
                outbox.put((chunk_id, payload, None))


class _WorkerMixin:
    """A multiprocessing.Process subclass body: the worker pulls chunks until told to stop."""

    def __init__(self, inbox: Any, outbox: Any) -> None:
        super().__init__(daemon=True)  # type: ignore[call-arg]  # a mixin: super() is a Process at run time
        self.inbox, self.outbox = inbox, outbox

    def run(self) -> None:
        QueueWorker.loop(self.inbox, self.outbox)


# One module-level subclass per start method: spawn and forkserver pickle the
# Process object itself, so its class must be importable by name (a class made
# inside a function fails with "Can't pickle local object"), and it must derive
# from that context's Process so that the context's start method is used.
def _context_process(method: str) -> type:
    """The Process class of a start method's context, which the worker class must derive from."""
    return multiprocessing.get_context(method).Process  # type: ignore[attr-defined]  # typeshed's BaseContext lacks it


_WORKER_CLASSES: dict[str, type] = {}
for _method in multiprocessing.get_all_start_methods():
    _name = f"{_method.capitalize()}Worker"
    _WORKER_CLASSES[_method] = globals()[_name] = type(
        _name, (_WorkerMixin, _context_process(_method)), {"__module__": __name__})


def _make_process_class(ctx: Any) -> type:
    return _WORKER_CLASSES[ctx.get_start_method()]


class WorkerDied(RuntimeError):
    pass


class Processes(StrategyBase):
    name = "processes"
    summary = "multiprocessing.Process subclass per worker, tasks and results through queues"
    dispatch_rule = "pool-chunks"
    uses_processes = True
    needs_pickle = True

    def start(self) -> None:
        ctx = mp_context(self.options.start_method)
        self._inbox, self._outbox = ctx.Queue(), ctx.Queue()
        worker_class = _make_process_class(ctx)
        self._workers = [worker_class(self._inbox, self._outbox) for _ in range(self.workers)]
        for worker in self._workers:
            worker.start()

    def map(self, fn: Callable[[Any], Any], tasks: Sequence[Any]) -> list[Any]:
        self.check_picklable(fn, tasks)  # the inbox's feeder thread would drop what does not pickle
        size = pool_chunksize(len(tasks), self.workers)
        chunks = [list(tasks[i:i + size]) for i in range(0, len(tasks), size)]
        for chunk_id, chunk in enumerate(chunks):
            self._inbox.put((fn, chunk_id, chunk))
        done: dict[int, list[Any]] = {}
        while len(done) < len(chunks):
            chunk_id, payload, error = self._next_result()
            if error is not None and error.startswith(_NOT_PICKLABLE):
                raise NotPicklable(error[len(_NOT_PICKLABLE):])
            if error is not None:
                raise RuntimeError(f"task failed in worker: {error.splitlines()[0]}")
            done[chunk_id] = pickle.loads(payload)
        return [result for chunk_id in range(len(chunks)) for result in done[chunk_id]]

    def _next_result(self) -> tuple[int, Any, str | None]:
        while True:
            try:
                return self._outbox.get(timeout=_POLL_SECONDS)
            except queue.Empty:
                dead = [w for w in self._workers if not w.is_alive()]
                if dead:
                    raise WorkerDied(
                        f"worker process {dead[0].pid} died (exit code {dead[0].exitcode})"
                    ) from None

    def close(self) -> None:
        for _ in self._workers:
            self._inbox.put(_STOP)
        for worker in self._workers:
            worker.join(timeout=5)
            if worker.is_alive():
                worker.kill()
                worker.join()
        self._inbox.close()
        self._outbox.close()
