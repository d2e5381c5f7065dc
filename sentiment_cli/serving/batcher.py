"""Dynamic batching: the texts of concurrent requests gathered into one model call.

A request's texts are tokenized in a thread of their own (tokenizing holds the GIL, LiteRT releases it, so
it overlaps the model call before), then queued. One task takes the first request waiting, gathers the
requests that arrive within ``max_wait`` seconds (or are already waiting) up to ``max_batch`` texts, and
runs them as one call in the model thread: the only thread that ever touches the LiteRT interpreter,
which is not thread-safe. Results go back to each request's future in its own order, at its own threshold.

Bounded: past ``max_queue`` texts accepted and not yet answered, :meth:`Batcher.submit` raises
:class:`Overloaded` at once (the server answers 503). A request whose client went away is cancelled: its
texts are skipped if they have not reached the model yet, and its result is dropped if they have.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..explain import Explanation
    from ..runtime import Prediction, Predictor
    from ..text import Encoded
    from .metrics import Metrics


class Overloaded(Exception):
    """More texts are waiting than the server accepts; ask again in ``retry_after`` seconds."""

    def __init__(self, waiting: int, retry_after: int = 1) -> None:
        super().__init__(f"{waiting:,} texts are waiting to be classified: over capacity")
        self.retry_after = retry_after


class Stopped(Exception):
    """The server is shutting down and takes no new work."""


@dataclass(eq=False)
class _Job:
    texts: list[str]
    ids: list[Any] | None
    encoded: list[Encoded]
    threshold: float | None
    explain: bool
    future: asyncio.Future = field(repr=False)


@dataclass(frozen=True)
class _Item:
    """A text as :meth:`Predictor.predictions` reads it (``source``, ``text``, ``id``)."""

    source: str
    text: str
    id: Any = None


SOURCE = "<request>"
"""The ``source`` of a request's text number N (1-based) is ``<request>:N``, as standard input's lines are
``<stdin>:N`` in ``sentiment predict``."""

Answer = tuple[list["Prediction"], list["Explanation | None"] | None]


class Batcher:
    def __init__(
        self, predictor: Predictor, metrics: Metrics, *, max_batch: int, max_wait: float, max_queue: int
    ) -> None:
        self.predictor = predictor
        self.metrics = metrics
        self.max_batch, self.max_wait, self.max_queue = max_batch, max_wait, max_queue
        self.waiting = 0
        """Texts accepted and not yet answered (tokenizing, queued, or in the model call)."""
        self._queue: asyncio.Queue[_Job] = asyncio.Queue()
        self._carry: _Job | None = None
        self._task: asyncio.Task | None = None
        self._model = ThreadPoolExecutor(1, thread_name_prefix="sentiment-model")
        self._tokenizer = ThreadPoolExecutor(1, thread_name_prefix="sentiment-tokenize")
        self.running = False

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run(), name="sentiment-batcher")
        self.running = True

    async def stop(self) -> None:
        """Take no new work, answer what was accepted, then stop the task and the threads."""
        self.running = False
        while self.waiting and self._task is not None and not self._task.done():
            await asyncio.sleep(0.01)
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        self._model.shutdown(wait=True, cancel_futures=True)
        self._tokenizer.shutdown(wait=True, cancel_futures=True)

    async def submit(
        self, texts: list[str], ids: list[Any] | None = None, threshold: float | None = None, explain: bool = False
    ) -> Answer:
        """The predictions of ``texts`` (and their explanations with ``explain``), in order."""
        if not self.running:
            raise Stopped("the server is shutting down")
        if not texts:
            return [], [] if explain else None
        if self.waiting + len(texts) > self.max_queue and self.waiting:
            raise Overloaded(self.waiting)
        loop = asyncio.get_running_loop()
        self.waiting += len(texts)
        self.metrics.queued = self.waiting
        try:
            encoded = await loop.run_in_executor(self._tokenizer, self.predictor.encode, texts)
            job = _Job(texts, ids, encoded, threshold, explain, loop.create_future())
            self._queue.put_nowait(job)
            return await job.future  # cancelled with this task when the client goes away
        finally:
            self.waiting -= len(texts)
            self.metrics.queued = self.waiting

    async def _next(self, timeout: float | None) -> _Job | None:
        """The next job still wanted (one waiting, or one that arrives within ``timeout``); None if none."""
        while True:
            try:
                job = self._queue.get_nowait()
            except asyncio.QueueEmpty:
                if timeout is not None and timeout <= 0:
                    return None
                try:
                    async with asyncio.timeout(timeout):
                        job = await self._queue.get()
                except TimeoutError:
                    return None
            if not job.future.done():  # a cancelled request's texts never reach the model
                return job

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            first, self._carry = self._carry, None
            if first is None or first.future.done():
                first = await self._next(None)
                assert first is not None
            jobs, size = [first], len(first.texts)
            deadline = loop.time() + self.max_wait
            while size < self.max_batch:
                job = await self._next(deadline - loop.time())
                if job is None:
                    break
                if size + len(job.texts) > self.max_batch:
                    self._carry = job  # first in the next batch
                    break
                jobs.append(job)
                size += len(job.texts)
            started = time.perf_counter()
            try:
                answers = await loop.run_in_executor(self._model, self._classify, jobs)
            except Exception as exc:  # a damaged model: every request of the batch fails, the server goes on
                for job in jobs:
                    if not job.future.done():
                        job.future.set_exception(exc)
                continue
            self.metrics.batches += 1
            self.metrics.batch_sizes.observe(size)
            self.metrics.model_seconds += time.perf_counter() - started
            for job, answer in zip(jobs, answers, strict=True):
                if not job.future.done():
                    self.metrics.reviews += len(job.texts)
                    job.future.set_result(answer)

    def _classify(self, jobs: list[_Job]) -> list[Answer | None]:
        """In the model thread: one call for every job's texts, then each job's predictions at its threshold."""
        from ..explain import explain

        predictor = self.predictor
        probabilities = predictor.probabilities_of([e for job in jobs for e in job.encoded])
        answers: list[Answer | None] = []
        start = 0
        for job in jobs:
            rows = probabilities[start : start + len(job.texts)]
            start += len(job.texts)
            if job.future.cancelled():  # its client went away while the batch was gathered
                answers.append(None)
                continue
            ids = job.ids if job.ids is not None else [None] * len(job.texts)
            items = [_Item(f"{SOURCE}:{n}", text, i) for n, (text, i) in enumerate(zip(job.texts, ids, strict=True), 1)]
            predictions = predictor.predictions(items, rows, job.threshold)
            explanations = None
            if job.explain:
                explanations = [explain(predictor, p.text) if p.label else None for p in predictions]
            answers.append((predictions, explanations))
        return answers
