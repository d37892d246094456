"""The README's Python section runs as written against the real server (only its URL changed),
and its two commands ingest a TIFF stack with a progress bar and export it to zarr v3."""

from __future__ import annotations

import contextlib
import io
import shlex
from pathlib import Path

import numpy as np
import tensorstore as ts
import tifffile
from served import ROOT, cli

README = (ROOT / "README.md").read_text()


def python_section() -> str:
    return README.split("```python\n# the Python client\n", 1)[1].split("```", 1)[0]


def shell_section() -> list[list[str]]:
    text = README.split("## From Python", 1)[1].split("```sh\n", 1)[1].split("```", 1)[0]
    return [shlex.split(line.split("#", 1)[0]) for line in text.splitlines() if line.strip()]


def test_the_python_section_runs(server, capsys):
    code = python_section().replace("http://127.0.0.1:8000", server.url)
    scope: dict = {}
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(compile(code, "README.md", "exec"), scope)
    assert printed.getvalue() == "[7]\n"
    assert scope["sub"].shape == (37, 65, 91) and scope["sub"].dtype == np.uint8
    written = np.random.default_rng(0).integers(0, 256, (64, 128, 128), dtype=np.uint8)
    assert scope["child"]["grayscale"][0:64, 0:128, 0:128].tobytes() == written.tobytes()
    assert scope["node"].locked and not scope["child"].locked
    assert "write grayscale" not in capsys.readouterr().err  # 1 MiB: one piece, no bar


def test_the_two_commands_ingest_a_tiff_stack_and_export_it(server, node, tmp_path: Path):
    stack = np.random.default_rng(1).integers(0, 256, (96, 512, 512), dtype=np.uint8)  # two slabs
    tifffile.imwrite(tmp_path / "stack.tif", stack)
    ingest, export = shell_section()
    assert ingest[:2] == ["dvidpy", "ingest"] and export[:2] == ["dvidpy", "export"]
    for command in (ingest, export):
        args = [a.replace("$CHILD", node.uuid) for a in command[1:]]
        args = [str(tmp_path / a) if a.endswith((".tif", ".zarr")) else a for a in args]
        run = cli(*args, "--server", server.url, timeout=300)
        assert run.returncode == 0, run.stderr
        assert f"{command[1]} em: 100%" in run.stderr  # the progress bar
    assert node["em"].typename == "uint8blk"
    array = ts.open({"driver": "zarr3", "kvstore": {"driver": "file", "path": str(tmp_path / "em.zarr")}}).result()
    assert array.read().result().tobytes() == stack.tobytes()
