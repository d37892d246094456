"""The benchmark's quick mode runs end to end: every measured answer is checked inside it."""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from dvidpy import native
from dvidpy.benchmarks import postgres_rows
from dvidpy.benchmarks.label_points import FRESH_POINTS, FRESH_SERVER
from dvidpy.benchmarks.timing import interleaved
from dvidpy.benchmarks.volumes import em_like, grayscale, lz4_ratio

ROOT = Path(__file__).resolve().parent.parent


def test_em_like_compresses_as_em_does_and_grayscale_does_not():
    for size in (64, 128):
        volume = em_like(size)
        assert volume.shape == (size, size, size)
        assert volume.dtype == np.uint8
        assert 1.1 <= lz4_ratio(volume) <= 1.5
    assert lz4_ratio(grayscale(64)) < 1.01
    assert np.array_equal(em_like(64), em_like(64))


def test_interleaved_runs_round_by_round():
    order = []
    checked = []
    actions = {name: (lambda name=name: order.append(name) or name) for name in "abc"}
    timings = interleaved(actions, 3, {"b": checked.append})
    assert order == list("abc") * 4
    assert checked == ["b"]
    assert {name: len(t.seconds) for name, t in timings.items()} == {"a": 3, "b": 3, "c": 3}


def test_quick_benchmark_runs_and_reports(tmp_path):
    out = tmp_path / "bench.json"
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    run = subprocess.run(
        [sys.executable, "-m", "dvidpy.benchmarks", "--quick", "--size", "64", "--json", str(out)],
        check=False, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    report = json.loads(out.read_text())
    assert report["hot_path"] == native.PATH
    assert f"hot path {native.PATH}," in run.stdout
    assert set(report["volumes"]) == {"grayscale", "em"}
    assert 1.1 <= report["volumes"]["em"]["lz4_ratio"] <= 1.5
    rows = {r["name"]: r for r in report["results"]}
    for expected in ("POST grayscale 64x64x64", "POST em-like 64x64x64", "POST grayscale 64x64x64, sync off",
                     "GET labels 64x64x64 lz4", "GET xy png 64x64", "label single point",
                     "dvidpy.client vol[...] grayscale 64^3", "dvidpy.client vol[...] labels 64^3 lz4",
                     "dvidpy.client vol[...] = grayscale whole volume (64^3)"):
        assert expected in rows
    for name in ("GET grayscale 64x64x64 raw", "GET grayscale 64x64x32 raw", "GET em-like 64x64x64 raw",
                 "GET em-like 64x64x32 raw", "GET labels 64x64x64 raw"):
        assert {"limit_ms", "x_limit", "numpy_ms", "x_numpy", "peer_ms", "x_peer"} <= set(rows[name])
    for volume in ("grayscale", "em-like"):
        assert {"limit_ms", "x_limit"} <= set(rows[f"POST {volume} 64x64x64"])
    cold = {"labels batch 10000 points, fresh points each round": FRESH_POINTS,
            "labels batch 100000 points, fresh points each round": FRESH_POINTS,
            "labels batch 100000 points in a 64^3 region, fresh points each round": FRESH_POINTS,
            "labels batch 100000 points, fresh server process each round": FRESH_SERVER}
    assert {name: rows[name]["cold"] for name in cold} == cold
    assert all(rows[name]["points_per_s"] > 0 for name in cold)
    assert all(r["ms"] > 0 for r in report["results"] if "ms" in r)
    assert all(r["x_bare"] > 0 for r in report["results"] if r["name"].startswith("dvidpy.client vol[...] ") and "=" not in r["name"])
    goals = {t["target"] for t in report["targets"]}
    for volume in ("grayscale", "em-like"):
        assert {f"GET {volume} 64x64x64 raw: x TensorStore >= 1.2", f"GET {volume} 64x64x64 raw: x limit >= 0.7",
                f"POST {volume} 64x64x64: MB/s >= 300", f"GET {volume} 64x64x64 raw: ms <= 0.6"} <= goals
    assert {"labels batch 100000 points, fresh points each round: points/s >= 1e+06",
            "labels batch 100000 points, fresh server process each round: points/s >= 1e+06",
            "xy png slice <= 40 ms"} <= goals
    assert "targets:" in run.stdout
    view = {r["name"]: r for r in report["results"] if r["name"].startswith("neuroglancer view replay")}
    assert sorted(view) == [f"neuroglancer view replay (2 chunks, 8 client processes), {label}"
                            for label in ("dvidpy, 1 worker", "dvidpy, 2 workers", "dvidpy, 2 workers, chunk cache off",
                                          "dvidpy, 2 workers, image as JPEG blocks",
                                          "static files (http.server)", "static files (http.server), keep-alive")]
    assert all(r["chunks_per_s"] > 0 and r["server_cpu_us_per_chunk"] > 0 for r in view.values())
    assert view["neuroglancer view replay (2 chunks, 8 client processes), static files (http.server)"]["x_static"] == 1.0
    assert "neuroglancer view replay: dvidpy (2 workers) >= 1.0x the static file server's chunks/s" in {
        t["target"] for t in report["targets"]}
    assert "[target: x TensorStore >= 1.2 " in run.stdout
    why = postgres_rows.available()
    if why and os.environ.get("DVIDPY_TEST_POSTGRES") != "required":
        assert f"postgres rows skipped: {why}" in run.stdout
    else:
        for expected in ("postgres: POST uint8 64x64x64", "postgres: GET grayscale 64x64x64 raw"):
            assert expected in rows
        rate = rows["postgres: 64^3 chunk GETs, 8 client processes, 2 servers"]
        assert rate["requests_per_s"] > 0


def test_the_captured_view_maps_each_dvidpy_chunk_to_its_precomputed_file():
    from dvidpy.benchmarks import neuroglancer_view as view

    chunks = view.view_chunks(512)
    assert len(chunks) == 338
    assert {c.name for c in chunks} == {"grayscale", "labels"}
    assert sum(c.name == "labels" for c in chunks) == 169
    first = next(c for c in chunks if c.name == "labels")
    assert first.path == "labels/raw/0_1_2/64_64_64/256_256_256?compression=googlegzip&app=Neuroglancer"
    assert first.precomputed_path((512, 512, 512)) == "/labels/s0/256-320_256-320_256-320"
    assert view.Chunk.parse("grayscale/raw/0_1_2/64_64_64/448_0_64/jpeg").precomputed_path((500, 512, 512)) == \
        "/grayscale/s0/448-500_0-64_64-128"
    assert [c.jpeg_blocks_path() for c in chunks[:1]] == ["grayscale-jpeg/subvolblocks/64_64_64/256_256_256?app=Neuroglancer"]
    assert first.jpeg_blocks_path() == first.path
    assert [c.path for c in view.view_chunks(64)] == ["grayscale/raw/0_1_2/64_64_64/0_0_0/jpeg?app=Neuroglancer",
                                                      "labels/raw/0_1_2/64_64_64/0_0_0?compression=googlegzip&app=Neuroglancer"]


def test_server_cpu_time_counts_every_worker_process(tmp_path):
    import http.client

    from dvidpy.benchmarks import servers

    server = servers.dvidpy_server(tmp_path / "store", workers=2)
    try:
        tree = servers._process_tree(server.proc.pid)
        assert len(tree) >= 3 and tree[0] == server.proc.pid  # the supervisor, its two workers (and helpers)
        before = server.cpu_seconds()
        conn = http.client.HTTPConnection("127.0.0.1", server.port)
        for _ in range(500):
            conn.request("GET", "/api/server/info")
            assert conn.getresponse().read()
        conn.close()
        used = server.cpu_seconds() - before
        assert 500 * 40e-6 < used < 60  # each answer takes more than 40 us of some process's CPU
    finally:
        server.stop()


def test_view_load_pin_splits_the_cpus_between_browser_and_servers():
    from dvidpy.benchmarks import view_load

    cpus = os.sched_getaffinity(0)
    if len(cpus) < 2:
        with pytest.raises(ValueError, match="--pin needs at least 2 CPUs"):
            view_load.pinned_cpus()
        return
    browser, servers = view_load.pinned_cpus()
    assert browser == {min(cpus)} and servers == cpus - browser
    one = subprocess.run([sys.executable, "-c", "from dvidpy.benchmarks import view_load; view_load.pinned_cpus()"],
                         check=False, capture_output=True, text=True,
                         preexec_fn=lambda: os.sched_setaffinity(0, {min(cpus)}))
    assert one.returncode == 1 and "ValueError: --pin needs at least 2 CPUs, and this process may use 1" in one.stderr
