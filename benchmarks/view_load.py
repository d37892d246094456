"""The browser-level view load: neuroglancer's own viewer in headless Chromium opens the
benchmark's 4-panel view cold, from dvidpy and from the same data as precomputed files.

    python -m dvidpy.benchmarks.view_load [--runs 5] [--workers 2] [--size 512] [--capture] [--memo] [--pin]

Needs Debian's chromium (``apt-get install -y chromium``), node and npm; the first run builds the
neuroglancer page (``neuroglancer_page/build.sh``: neuroglancer 2.41.2, vite and playwright-core
from npm) into ``--build`` (default /tmp/dvidpy-neuroglancer-page), outside the repository.
Each load has a fresh Chromium profile; dvidpy (its chunk cache kept across loads, a second
server with the cache off, and a third with the image stored as 64^3 JPEG blocks, README's
advice for neuroglancer) and the static server (as ``python -m http.server``, and with
keep-alive) take turns, after one uncounted warm-up load of the browser. ``--memo`` adds
dvidpy's own answers served from memory by http.server (``answer_memo.py``, filled by one
uncounted load), which tells the server's share of the time from neuroglancer's. It prints the
median time from navigation until the last chunk's answer (and the CPU time the source's server
used during each load: on a small machine the browser competes with it), and the ratio
(http.server / dvidpy: >= 1.0 means dvidpy's view loads at least as fast, issue 17's target)
for each dvidpy server. ``--capture`` saves the chunk paths of the first dvidpy load as
``data/ng_view_chunks.json`` (the replay row's list). ``--pin`` runs the browser on the first
CPU and every server on the others, so that the browser does not share a core with the server
it loads from (on a small machine it otherwise does).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from importlib import resources
from pathlib import Path

from dvidpy.benchmarks import neuroglancer_view as view
from dvidpy.benchmarks.servers import Process, dvidpy_server
from dvidpy.benchmarks.view_replay import STATIC

PAGE_SOURCE = Path(__file__).resolve().parent / "neuroglancer_page"
CAPTURE = Path(__file__).resolve().parent / "data" / "ng_view_chunks.json"
CHROMIUM = "/usr/bin/chromium"
#: dvidpy with its chunk cache off: every image chunk of every load is a JPEG encoded for it.
UNCACHED = "dvidpy, chunk cache off"
#: dvidpy with the image stored as JPEG blocks (README's advice): neuroglancer asks
#: ``subvolblocks`` and each image chunk is a stored JPEG; chunk cache off (nothing to cache).
JPEG_BLOCKS = "dvidpy, image as JPEG blocks"
#: dvidpy's own answers served from memory by http.server (``--memo``: see answer_memo.py).
MEMO = "dvidpy's answers from memory (http.server)"


def missing() -> str:
    """Why the view load cannot run here ('' when it can)."""
    for tool in ("node", "npm"):
        if shutil.which(tool) is None:
            return f"{tool} is not installed"
    if not Path(CHROMIUM).exists():
        return f"{CHROMIUM} is missing (apt-get install -y chromium)"
    return ""


def build_page(build: Path) -> Path:
    """The built page's folder (``build/dist``), building it first when it is not there."""
    if not (build / "dist" / "index.html").exists():
        with resources.as_file(resources.files("dvidpy.benchmarks") / "neuroglancer_page") as source:
            subprocess.run(["sh", str(source / "build.sh"), str(build)], check=True)
    shutil.copy(PAGE_SOURCE / "load_view.mjs", build / "load_view.mjs")
    return build / "dist"


def pinned_cpus() -> tuple[set[int], set[int]]:
    """``--pin``'s split of this process's CPUs: the browser's (the first) and the servers'
    (the rest); a ``ValueError`` with fewer than two."""
    cpus = sorted(os.sched_getaffinity(0))
    if len(cpus) < 2:
        raise ValueError(f"--pin needs at least 2 CPUs, and this process may use {len(cpus)}")
    return {cpus[0]}, set(cpus[1:])


def load(build: Path, page_port: int, state: dict, cpus: set[int] | None = None) -> dict:
    """One cold load of ``state`` (the browser on ``cpus`` when given): ``{"ms", "chunks",
    "failed", "other", "errors", ...}``, as ``load_view.mjs`` prints it."""
    profile = Path(tempfile.mkdtemp(prefix="dvidpy-chromium-"))
    try:
        state_file = profile.parent / f"{profile.name}.json"
        state_file.write_text(json.dumps(state))
        run = subprocess.run(["node", "load_view.mjs", f"http://127.0.0.1:{page_port}/index.html", str(state_file),
                              str(profile)], check=False, cwd=build, capture_output=True, text=True, timeout=300,
                             preexec_fn=None if cpus is None else lambda: os.sched_setaffinity(0, cpus))
        state_file.unlink()
    finally:
        shutil.rmtree(profile, ignore_errors=True)
    if run.returncode != 0:
        raise RuntimeError(f"load_view.mjs failed: {run.stderr[-2000:]}")
    result = json.loads(run.stdout.strip().splitlines()[-1])
    if result["ms"] is None or result["errors"]:
        raise RuntimeError(f"the view did not load: {result['errors'][:3]}, {len(result['chunks'])} chunks asked")
    return result


def save_capture(result: dict, size: int) -> None:
    """The first load's chunk paths (in request order, each once) as the replay's list."""
    paths = list(dict.fromkeys(view.chunk_path(url) for url in result["chunks"]))
    capture = {"how": "neuroglancer 2.41.2's viewer in headless Chromium (python -m dvidpy.benchmarks.view_load "
                      "--capture): the chunk requests of one cold load of the view in neuroglancer_view.py",
               "size": size, "viewport": list(view.VIEWPORT), "state": view.dvid_state(0, "<uuid>", size),
               "chunks": paths}
    CAPTURE.write_text(json.dumps(capture, indent=1) + "\n")
    print(f"saved {len(paths)} chunk paths to {CAPTURE}")


def measure(tmp: Path, build: Path, size: int, runs: int, workers: int, capture: bool, memo: bool = False,
            pin: bool = False) -> dict:
    dist = build_page(build)
    browser_cpus = None
    if pin:  # the servers started from here on inherit the servers' CPUs
        browser_cpus, server_cpus = pinned_cpus()
        os.sched_setaffinity(0, server_cpus)
    _, uuid, store, files = view.prepare(tmp, size)
    shutil.copytree(store, tmp / "ngview-store-uncached")
    shutil.copytree(store, tmp / "ngview-store-jpeg")
    static = ["-m", "dvidpy.benchmarks.precomputed", str(files)]
    servers = {"dvidpy": dvidpy_server(store, workers=workers),
               UNCACHED: dvidpy_server(tmp / "ngview-store-uncached", workers=workers, chunk_cache=False),
               JPEG_BLOCKS: dvidpy_server(tmp / "ngview-store-jpeg", workers=workers, chunk_cache=False),
               STATIC: Process(static, "/"), f"{STATIC}, keep-alive": Process([*static, "--keep-alive"], "/")}
    if memo:  # in front of the cache-off server, so that filling it warms no other server's cache
        upstream = str(servers[UNCACHED].port)
        servers[MEMO] = Process(["-m", "dvidpy.benchmarks.answer_memo", "--upstream", upstream], "/api/server/info")
    page = Process(["-m", "dvidpy.benchmarks.precomputed", str(dist), "--keep-alive"], "/")
    states = {label: view.precomputed_state(server.port, size) for label, server in servers.items()}
    for label in ("dvidpy", UNCACHED, MEMO):
        if label in servers:
            states[label] = view.dvid_state(servers[label].port, uuid, size)
    states[JPEG_BLOCKS] = view.dvid_state(servers[JPEG_BLOCKS].port, uuid, size, image=view.IMAGE_JPEG)
    times: dict[str, list[float]] = {label: [] for label in servers}
    chunks: dict[str, set[int]] = {label: set() for label in servers}
    cpu: dict[str, list[float]] = {label: [] for label in servers}  # the source's server, during each load
    try:
        # Chromium's first start pays for reading itself and compiling the page: one load from
        # the static files, not counted, so that no source's first load carries it.
        warm_up = load(build, page.port, states[STATIC], browser_cpus)
        print(f"  warm-up load from {STATIC}: {warm_up['ms']} ms (not counted)", flush=True)
        if memo:
            filling = load(build, page.port, states[MEMO], browser_cpus)
            print(f"  load filling {MEMO}: {filling['ms']} ms (not counted)", flush=True)
        for run in range(runs):
            for label, server in servers.items():
                used = server.cpu_seconds()
                result = load(build, page.port, states[label], browser_cpus)
                cpu[label].append(round(server.cpu_seconds() - used, 3))
                times[label].append(result["ms"])
                chunks[label].add(len(set(result["chunks"])))
                failed = len(result["failed"])
                retried = f", {failed} aborted by neuroglancer and asked again" if failed else ""
                waits = [answered - asked for asked, answered in result["chunk_ms"]] or [0]
                distinct = len(set(result["chunks"]))
                print(f"  load {run + 1} from {label}: {result['ms']} ms, {distinct} chunks{retried}; "
                      f"first chunk asked at {result.get('first_ms')} ms, a chunk answered in "
                      f"{statistics.median(waits):.0f} ms (median as the browser saw it); "
                      f"the server used {cpu[label][-1]:.2f} s of CPU", flush=True)
                if capture and label == "dvidpy" and run == 0:
                    save_capture(result, size)
    finally:
        page.stop()
        for server in servers.values():
            server.stop()
    medians = {label: statistics.median(values) for label, values in times.items()}
    return {"size": size, "runs": runs, "workers": workers, "pinned": pin, "ms": times, "median_ms": medians,
            "server_cpu_s": cpu,
            "distinct_chunks": {label: sorted(v) for label, v in chunks.items()},
            "ratio": round(medians[STATIC] / medians["dvidpy"], 3),
            "ratio_chunk_cache_off": round(medians[STATIC] / medians[UNCACHED], 3),
            "ratio_jpeg_blocks": round(medians[STATIC] / medians[JPEG_BLOCKS], 3)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m dvidpy.benchmarks.view_load", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5, help="cold loads from each source (default 5)")
    parser.add_argument("--workers", type=int, default=2, help="dvidpy's worker processes (default 2)")
    parser.add_argument("--size", type=int, default=512, help="edge of the volumes (default 512)")
    parser.add_argument("--build", type=Path, default=Path("/tmp/dvidpy-neuroglancer-page"),
                        help="where the neuroglancer page is built (default /tmp/dvidpy-neuroglancer-page)")
    parser.add_argument("--capture", action="store_true", help="save the first dvidpy load's chunk list")
    parser.add_argument("--json", type=Path, help="also write the results to this JSON file")
    parser.add_argument("--pin", action="store_true",
                        help="the browser on the first CPU, every server on the others (no sharing of cores)")
    parser.add_argument("--memo", action="store_true",
                        help="also load dvidpy's own answers served from memory by http.server (answer_memo.py)")
    args = parser.parse_args(argv)
    why = missing()
    if why:
        print(f"view load cannot run: {why}", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="dvidpy-view-load-") as tmp:
        report = measure(Path(tmp), args.build, args.size, args.runs, args.workers, args.capture, args.memo, args.pin)
    for label, ms in report["median_ms"].items():
        print(f"view loaded from {label}: median {ms:.0f} ms of {report['runs']} cold loads")
    print(f"ratio ({STATIC} / dvidpy, >= 1.0 is the target): {report['ratio']:.2f}; "
          f"with dvidpy's chunk cache off: {report['ratio_chunk_cache_off']:.2f}; "
          f"with the image as JPEG blocks: {report['ratio_jpeg_blocks']:.2f}")
    if args.json:
        args.json.write_text(json.dumps(report, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
