"""The server stays lean: importing the CLI or the client loads none of the client extra's
heavier packages (they load when a feature needs them), and the extras name them."""

from __future__ import annotations

import subprocess
import sys
import tomllib

from served import ENV, ROOT

HEAVY = ("tqdm", "tifffile", "tensorstore")


def test_importing_the_cli_and_the_client_loads_no_heavy_package():
    script = ("import sys, dvidpy.cli, dvidpy.client, dvidpy.client.commands\n"
              f"print(sorted(m for m in {HEAVY!r} if m in sys.modules))\n")
    run = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=ENV, capture_output=True, text=True, timeout=60)
    assert (run.returncode, run.stdout) == (0, "[]\n"), run.stderr


def test_the_client_extra_brings_what_the_client_uses():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    names = {spec.split(">")[0].split("[")[0] for spec in project["optional-dependencies"]["client"]}
    assert names == {"httpx", *HEAVY}
    assert {spec.split(">")[0] for spec in project["optional-dependencies"]["test"]} >= names
    assert not {spec.split(">")[0] for spec in project["dependencies"]} & set(HEAVY)
