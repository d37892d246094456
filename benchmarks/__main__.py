"""Run the benchmark: ``python -m dvidpy.benchmarks [--quick] [--runs N] [--json FILE]``.

It starts ``dvidpy serve`` on an LMDB store in a temporary folder, ingests two uint8 volumes
(an incompressible grayscale and an EM-like one) and a label volume over HTTP, and times reads
and writes interleaved round by round with the same transfers against the limits (a trivial
endpoint on the same server stack; a numpy copy) and a peer (TensorStore on a local zarr copy);
then, where PostgreSQL can be started, the postgres engine's rows. The table's header names
the server's hot path (compiled or fallback). Every measured answer is checked against the
source data.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

from dvidpy.benchmarks.report import print_table, targets
from dvidpy.benchmarks.suite import Suite


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m dvidpy.benchmarks", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="a small volume and one run (a smoke test)")
    parser.add_argument("--size", type=int, help="edge of the cubic test volumes (default 512, quick 128)")
    parser.add_argument("--runs", type=int, help="timed runs per measurement (default 5, quick 1)")
    parser.add_argument("--json", type=Path, help="also write the results to this JSON file")
    parser.add_argument("--no-postgres", action="store_true",
                        help="skip the postgres engine's rows (run when PostgreSQL can be started here)")
    args = parser.parse_args(argv)
    size = args.size or (128 if args.quick else 512)
    runs = args.runs or (1 if args.quick else 5)
    with tempfile.TemporaryDirectory(prefix="dvidpy-bench-") as tmp:
        t0 = time.perf_counter()
        suite = Suite(Path(tmp), size=size, runs=runs, quick=args.quick, postgres=not args.no_postgres)
        try:
            results = suite.run()
        finally:
            suite.close()
    report = {"size": size, "runs": runs, "seconds": round(time.perf_counter() - t0, 1), "hot_path": suite.hot_path,
              "volumes": suite.volume_facts, "results": results, "targets": targets(results, size)}
    print_table(report)
    if args.json:
        args.json.write_text(json.dumps(report, indent=2) + "\n")
        print(f"results written to {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
