"""Running the pieces of one transfer concurrently over the connection pool, with a progress
bar; the first failure stops the pieces not yet started and is raised."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from typing import TypeVar

from dvidpy.client.progress import bar

T = TypeVar("T")


def run_pieces(pieces: Sequence[T], action: Callable[[T], int], *, concurrency: int, progress: bool,
               desc: str, total: int) -> None:
    """Call ``action`` on every piece (it returns the bytes it moved, for the bar).

    A transfer of one piece runs in the caller's thread and shows no bar; so does one run
    with ``concurrency`` 1, except for the bar.
    """
    if len(pieces) == 1:
        action(pieces[0])
        return
    shown = bar(progress, total, desc)
    try:
        if concurrency <= 1:
            for piece in pieces:
                shown.update(action(piece))
            return
        with ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="dvidpy-client") as pool:
            futures = [pool.submit(action, piece) for piece in pieces]
            pending = set(futures)
            while pending:
                done, pending = wait(pending, return_when=FIRST_EXCEPTION)
                for future in done:
                    if future.exception() is not None:
                        for other in pending:
                            other.cancel()
                        raise future.exception()  # type: ignore[misc]
                    shown.update(future.result())
    finally:
        shown.close()
