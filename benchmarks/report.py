"""The benchmark's table and its verdict on the targets of issue 6."""

from __future__ import annotations


def _find(results: list[dict], prefix: str) -> dict | None:
    return next((r for r in results if r["name"].startswith(prefix)), None)


def targets(results: list[dict], size: int) -> list[dict]:
    """Each target: what was measured, the goal, and whether it was met."""
    out = []
    n = min(256, size)
    get = _find(results, f"GET grayscale {n}x{n}x{n} raw")
    if get and "x_limit" in get:
        out.append({"target": f"{n}^3 uint8 GET >= 0.5x the trivial endpoint", "value": get["x_limit"], "met": get["x_limit"] >= 0.5})
    if get and "x_peer" in get:
        out.append({"target": f"{n}^3 uint8 GET >= 1.0x TensorStore", "value": get["x_peer"], "met": get["x_peer"] >= 1.0})
    post = next((r for r in results if r["name"].startswith("POST uint8") and "sync off" not in r["name"]), None)
    if post:
        out.append({"target": "uint8 3D POST >= 300 MB/s", "value": post["MBps"], "met": post["MBps"] >= 300})
    batch = _find(results, "labels batch 100000 points") if size**3 >= 100_000 else None
    if batch and "region" not in batch["name"]:
        out.append({"target": "labels batch >= 1M points/s at 100k", "value": batch["points_per_s"], "met": batch["points_per_s"] >= 1e6})
    xy = _find(results, "GET xy png")
    if xy:
        out.append({"target": "xy png slice <= 40 ms", "value": xy["ms"], "met": xy["ms"] <= 40})
        for plane in ("xz", "yz"):
            other = _find(results, f"GET {plane} png")
            if other:
                ratio = round(other["ms"] / xy["ms"], 2)
                out.append({"target": f"{plane} png within 2x of xy", "value": ratio, "met": ratio <= 2})
    out += _concurrency_targets(results)
    view = next((r for r in results if r["name"].startswith("neuroglancer view replay")
                 and r["name"].endswith("dvidpy, 2 workers")), None)
    if view:
        out.append({"target": "neuroglancer view replay: dvidpy (2 workers) >= 1.0x the static file server's chunks/s",
                    "value": view["x_static"], "met": view["x_static"] >= 1.0})
    for name in ("grayscale", "labels"):
        mem = _find(results, f"peak memory GET {name}")
        if mem:
            out.append({"target": f"peak memory of a wide {name} GET <= 3x the response", "value": mem["x_response"], "met": mem["x_response"] <= 3})
    return out


def _rate(results: list[dict], clients: int, workers: int) -> float | None:
    row = _find(results, f"64^3 chunk GETs, {clients} client processes, {workers} workers")
    return row["requests_per_s"] if row else None


def _concurrency_targets(results: list[dict]) -> list[dict]:
    out = []
    base, best = _rate(results, 1, 1), _rate(results, 8, 2)
    if base and best:
        ratio = round(best / base, 2)
        out.append({"target": "64^3 chunks: 8 clients on 2 workers >= 1.5x 1 client on 1 worker", "value": ratio,
                    "met": ratio >= 1.5})
    for workers in (1, 2, 4):
        one, eight = _rate(results, 1, workers), _rate(results, 8, workers)
        if one and eight:
            ratio = round(eight / one, 2)
            out.append({"target": f"64^3 chunks on {workers} workers: 8 clients >= 1 client", "value": ratio,
                        "met": ratio >= 1.0})
    return out


def print_table(report: dict) -> None:
    print()
    print(f"dvidpy benchmark: {report['size']}^3 volumes, median of {report['runs']} run(s), {report['seconds']} s in all")
    head = f"{'measurement':<52} {'ms':>9} {'MB/s':>8} {'limit ms':>9} {'x limit':>8} {'numpy ms':>9} {'peer ms':>9} {'x peer':>7}"
    print(head)
    print("-" * len(head))
    for r in report["results"]:
        if "ms" not in r:
            continue
        cells = [f"{r['name']:<52}", f"{r['ms']:>9.2f}", f"{r['MBps']:>8.1f}"]
        cells.append(f"{r['limit_ms']:>9.2f}" if "limit_ms" in r else " " * 9)
        cells.append(f"{r['x_limit']:>8.2f}" if "x_limit" in r else " " * 8)
        cells.append(f"{r['numpy_ms']:>9.2f}" if "numpy_ms" in r else " " * 9)
        cells.append(f"{r['peer_ms']:>9.2f}" if "peer_ms" in r else " " * 9)
        cells.append(f"{r['x_peer']:>7.2f}" if "x_peer" in r else " " * 7)
        extra = f"  {r['points_per_s']:,} points/s" if "points_per_s" in r else ""
        if "bare_ms" in r:
            extra = f"  bare connection {r['bare_ms']:.2f} ms ({r['x_bare']:.2f}x)"
        print(" ".join(cells) + extra)
    for r in report["results"]:
        if "requests_per_s" in r:
            print(f"{r['name']:<60} {r['requests_per_s']:>8,} req/s")
        elif "chunks_per_s" in r:
            print(f"{r['name']:<60} {r['chunks_per_s']:>8,} chunks/s  {r['x_static']:.2f}x static")
        elif "ms_under_load" in r:
            print(f"{r['name']:<60} {r['ms_under_load']:>8.2f} ms")
    for r in report["results"]:
        if "x_response" in r:
            print(f"{r['name']}: server grew {r['peak_growth_bytes'] / 2**20:.1f} MiB for a "
                  f"{r['bytes'] / 2**20:.1f} MiB answer ({r['x_response']}x)")
    print("\nx limit = limit time / dvidpy time (1.0 = as fast as the trivial endpoint); x peer likewise for TensorStore;"
          "\nbare connection: the same GET over the benchmark's own socket, and that time / the client's.")
    print("\ntargets:")
    for t in report["targets"]:
        print(f"  [{'met' if t['met'] else 'NOT met'}] {t['target']}: {t['value']}")
