"""Read ahead in a helper thread: a producer fills a bounded queue while the consumer works.

One mechanism for the two places that overlap reading with work on the second core:
decompressing a compressed archive while its tar stream is unpacked (``analyzer.ingest``), and
reading and splitting the next log batch while this one is matched (``analyzer.match``).

- memory is bounded: the producer runs at most ``depth`` items ahead;
- an error of the producer is raised to the consumer where it was met, after the items before it;
- the consumer may stop early: ``close`` tells the producer to stop and waits for it a little
  (``grace`` seconds). A producer blocked in a read that never returns (a slow pipe on standard
  input) is a daemon thread: shutdown does not wait for it, it ends with the process.

>>> with ReadAhead(iter(range(5)), depth=2) as ahead:
...     list(ahead)
[0, 1, 2, 3, 4]
"""

from __future__ import annotations

import queue
import threading
from typing import Generic, Iterable, Iterator, TypeVar

T = TypeVar("T")

_END = object()


class ReadAhead(Generic[T]):
    """The items of ``items``, produced by a daemon thread at most ``depth`` ahead (an iterator)."""

    def __init__(self, items: Iterable[T], depth: int = 1, name: str = "read-ahead", grace: float = 5.0):
        self._q: queue.Queue = queue.Queue(maxsize=max(1, depth))
        self._stop = threading.Event()
        self._finished = False
        self._grace = grace
        self._thread = threading.Thread(target=self._produce, args=(items,), name=name, daemon=True)
        self._thread.start()

    def _produce(self, items: Iterable[T]) -> None:
        try:
            for item in items:
                if not self._offer((item, None)):
                    return
        except BaseException as exc:  # noqa: BLE001 - handed to the consumer
            self._offer((_END, exc))
            return
        self._offer((_END, None))

    def _offer(self, entry: tuple[object, BaseException | None]) -> bool:
        """Queue ``entry`` unless the consumer stopped (checked while the queue is full)."""
        while not self._stop.is_set():
            try:
                self._q.put(entry, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def __iter__(self) -> "ReadAhead[T]":
        return self

    def __next__(self) -> T:
        if self._finished:
            raise StopIteration
        item, exc = self._q.get()
        if item is _END:
            self._finished = True
            if exc is not None:
                raise exc
            raise StopIteration
        return item  # type: ignore[return-value]

    def close(self, wait: bool = True) -> None:
        """Stop the producer; wait at most ``grace`` seconds for it (see the module docstring), or
        not at all when ``wait`` is false (an interrupted run ends now)."""
        self._finished = True
        self._stop.set()
        if wait:
            self._thread.join(self._grace)

    def __enter__(self) -> "ReadAhead[T]":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def prefetch(items: Iterable[T], depth: int = 1, name: str = "read-ahead") -> Iterator[T]:
    """``items`` read ahead by a thread (see ``ReadAhead``); the thread is stopped when the
    iteration ends, early or not."""
    with ReadAhead(items, depth, name) as ahead:
        yield from ahead
