"""The benchmark's table and its verdict on the targets (issue 13's for the hot path, issue 6's
for slices, concurrency and memory)."""

from __future__ import annotations

from dataclasses import dataclass

LABEL_POINTS = 100_000


@dataclass(frozen=True)
class Goal:
    """A target on one row: ``row[key]`` at least (or at most) ``value``."""

    row: str
    key: str
    value: float
    at_least: bool = True

    @property
    def text(self) -> str:
        what = {"x_peer": "x TensorStore", "x_limit": "x limit", "MBps": "MB/s", "ms": "ms",
                "points_per_s": "points/s"}[self.key]
        return f"{what} {'>=' if self.at_least else '<='} {self.value:g}"

    def met(self, row: dict) -> bool:
        return row[self.key] >= self.value if self.at_least else row[self.key] <= self.value


def goals(size: int, uint8_names: tuple[str, ...] = ("grayscale", "em-like")) -> list[Goal]:
    """Issue 13's targets, on every uint8 volume: GET 256^3 >= 1.2x TensorStore and >= 0.7x the
    limit, POST 512x512x64 durable >= 300 MB/s, GET 64^3 on one connection <= 0.6 ms; and
    labels batches of 100k uniform points >= 1M points/s, cold."""
    n, chunk = min(256, size), min(64, size)
    out = []
    for name in uint8_names:
        out += [Goal(f"GET {name} {n}x{n}x{n} raw", "x_peer", 1.2), Goal(f"GET {name} {n}x{n}x{n} raw", "x_limit", 0.7),
                Goal(f"POST {name} {size}x{size}x64", "MBps", 300),
                Goal(f"GET {name} {chunk}x{chunk}x{chunk} raw", "ms", 0.6, at_least=False)]
    if size**3 >= LABEL_POINTS:
        out += [Goal(f"labels batch {LABEL_POINTS} points, fresh points each round", "points_per_s", 1e6),
                Goal(f"labels batch {LABEL_POINTS} points, fresh server process each round", "points_per_s", 1e6)]
    return out


def _find(results: list[dict], prefix: str) -> dict | None:
    return next((r for r in results if r["name"].startswith(prefix)), None)


def targets(results: list[dict], size: int) -> list[dict]:
    """Each target: what was measured, the goal, and whether it was met."""
    by_name = {r["name"]: r for r in results}
    out = [{"target": f"{g.row}: {g.text}", "value": by_name[g.row][g.key], "met": g.met(by_name[g.row])}
           for g in goals(size) if g.row in by_name and g.key in by_name[g.row]]
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


def _cells(r: dict, name_width: int) -> str:
    cells = [f"{r['name']:<{name_width}}", f"{r['ms']:>9.2f}", f"{r['MBps']:>8.1f}"]
    for key, width in (("limit_ms", 9), ("x_limit", 8), ("numpy_ms", 9), ("peer_ms", 9), ("x_peer", 7)):
        cells.append(f"{r[key]:>{width}.2f}" if key in r else " " * width)
    return " ".join(cells)


def _extra(r: dict, row_goals: list[Goal]) -> str:
    extra = f"  {r['points_per_s']:,} points/s" if "points_per_s" in r else ""
    if "bare_ms" in r:
        extra = f"  bare connection {r['bare_ms']:.2f} ms ({r['x_bare']:.2f}x)"
    verdicts = [f"{g.text} {'met' if g.met(r) else 'NOT met'}" for g in row_goals if g.key in r]
    return extra + (f"  [target: {'; '.join(verdicts)}]" if verdicts else "")


def print_table(report: dict) -> None:
    print()
    ratios = ", ".join(f"{name} {facts['lz4_ratio']}" for name, facts in report.get("volumes", {}).items())
    print(f"dvidpy benchmark: {report['size']}^3 volumes, hot path {report['hot_path']}, median of {report['runs']} "
          f"interleaved round(s), {report['seconds']} s in all" + (f"; LZ4 ratio of the uint8 volumes: {ratios}" if ratios else ""))
    width = max([52] + [len(r["name"]) for r in report["results"] if "ms" in r])
    head = f"{'measurement':<{width}} {'ms':>9} {'MB/s':>8} {'limit ms':>9} {'x limit':>8} {'numpy ms':>9} {'peer ms':>9} {'x peer':>7}"
    print(head)
    print("-" * len(head))
    row_goals: dict[str, list[Goal]] = {}
    for g in goals(report["size"]):
        row_goals.setdefault(g.row, []).append(g)
    for r in report["results"]:
        if "ms" in r:
            print(_cells(r, width) + _extra(r, row_goals.get(r["name"], [])))
    for r in report["results"]:
        if "requests_per_s" in r:
            print(f"{r['name']:<60} {r['requests_per_s']:>8,} req/s")
        elif "chunks_per_s" in r:
            print(f"{r['name']:<60} {r['chunks_per_s']:>8,} chunks/s  {r['x_static']:.2f}x static  "
                  f"server CPU {r['server_cpu_us_per_chunk']} us/chunk")
        elif "ms_under_load" in r:
            print(f"{r['name']:<60} {r['ms_under_load']:>8.2f} ms")
    for r in report["results"]:
        if "x_response" in r:
            print(f"{r['name']}: server grew {r['peak_growth_bytes'] / 2**20:.1f} MiB for a "
                  f"{r['bytes'] / 2**20:.1f} MiB answer ({r['x_response']}x)")
    for r in report["results"]:
        if "cold" in r:
            print(f"{r['name']}: cold how: {r['cold']}")
    print("\nx limit = limit time / dvidpy time (1.0 = as fast as the trivial endpoint on the same uvicorn stack);"
          " x peer likewise for TensorStore\nreading the same box from a local zarr; dvidpy, the limit, numpy and"
          " TensorStore run interleaved, round by round;\nbare connection: the same GET over the benchmark's own"
          " socket, and that time / the client's.")
    print("\ntargets:")
    for t in report["targets"]:
        print(f"  [{'met' if t['met'] else 'NOT met'}] {t['target']}: {t['value']}")
