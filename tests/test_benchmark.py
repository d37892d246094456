"""The benchmark's quick mode runs end to end: every measured answer is checked inside it."""

import json
import os
import subprocess
import sys
from pathlib import Path

from dvidpy.benchmarks import postgres_rows

ROOT = Path(__file__).resolve().parent.parent


def test_quick_benchmark_runs_and_reports(tmp_path):
    out = tmp_path / "bench.json"
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    run = subprocess.run(
        [sys.executable, "-m", "dvidpy.benchmarks", "--quick", "--size", "64", "--json", str(out)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    report = json.loads(out.read_text())
    names = [r["name"] for r in report["results"]]
    for expected in ("POST uint8 64x64x64", "GET grayscale 64x64x64 raw", "GET labels 64x64x64 lz4",
                     "GET xy png 64x64", "labels batch 10000 points", "label single point",
                     "dvidpy.client vol[...] grayscale 64^3", "dvidpy.client vol[...] labels 64^3 lz4",
                     "dvidpy.client vol[...] = grayscale whole volume (64^3)"):
        assert expected in names
    assert all(r["ms"] > 0 for r in report["results"] if "ms" in r)
    assert all(r["x_bare"] > 0 for r in report["results"] if r["name"].startswith("dvidpy.client vol[...] ") and "=" not in r["name"])
    assert {t["target"] for t in report["targets"]} >= {"uint8 3D POST >= 300 MB/s", "xy png slice <= 40 ms"}
    assert "targets:" in run.stdout
    view = {r["name"]: r for r in report["results"] if r["name"].startswith("neuroglancer view replay")}
    assert sorted(view) == [f"neuroglancer view replay (2 chunks, 8 client processes), {label}"
                            for label in ("dvidpy, 1 worker", "dvidpy, 2 workers", "static files (http.server)",
                                          "static files (http.server), keep-alive")]
    assert all(r["chunks_per_s"] > 0 for r in view.values())
    assert view["neuroglancer view replay (2 chunks, 8 client processes), static files (http.server)"]["x_static"] == 1.0
    assert "neuroglancer view replay: dvidpy (2 workers) >= 1.0x the static file server's chunks/s" in {
        t["target"] for t in report["targets"]}
    why = postgres_rows.available()
    if why and os.environ.get("DVIDPY_TEST_POSTGRES") != "required":
        assert f"postgres rows skipped: {why}" in run.stdout
    else:
        for expected in ("postgres: POST uint8 64x64x64", "postgres: GET grayscale 64x64x64 raw"):
            assert expected in names
        rate = next(r for r in report["results"] if r["name"] == "postgres: 64^3 chunk GETs, 8 client processes, 2 servers")
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
    assert [c.path for c in view.view_chunks(64)] == ["grayscale/raw/0_1_2/64_64_64/0_0_0/jpeg?app=Neuroglancer",
                                                      "labels/raw/0_1_2/64_64_64/0_0_0?compression=googlegzip&app=Neuroglancer"]
