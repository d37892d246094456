"""Progress bars (tqdm) for transfers split into pieces; nothing at all when they are off."""

from __future__ import annotations

from typing import Any


class NoBar:
    def update(self, n: int) -> None:
        pass

    def close(self) -> None:
        pass


def bar(enabled: bool, total: int, desc: str) -> Any:
    """A byte-counting bar of ``total`` bytes, or a :class:`NoBar` when ``enabled`` is false."""
    if not enabled:
        return NoBar()
    try:
        from tqdm import tqdm
    except ImportError:
        raise ImportError("progress bars need tqdm: pip install 'dvidpy[client]'") from None
    return tqdm(total=total, desc=desc, unit="B", unit_scale=True, unit_divisor=1024, dynamic_ncols=True)
