"""What gets installed: one import package, ``dvidpy``, mapped from the repository's folders.

The wheel is built for real from a copy of the source tree and unpacked beside a throw-away
package named ``core`` (a lab project's own), and both must import side by side.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
#: Repository folder -> installed package, as pyproject.toml maps them.
FOLDERS = {"core": "dvidpy", "plugins": "dvidpy.plugins", "benchmarks": "dvidpy.benchmarks"}


def declared() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]


def test_every_source_package_is_installed_under_dvidpy():
    found = set()
    for folder, package in FOLDERS.items():
        for init in (ROOT / folder).rglob("__init__.py"):
            rel = init.parent.relative_to(ROOT / folder).parts
            found.add(".".join((package, *rel)))
    assert sorted(declared()["packages"]) == sorted(found)
    assert declared()["package-dir"] == {v: k for k, v in FOLDERS.items()}


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    src = tmp_path_factory.mktemp("src")
    for name in ("pyproject.toml", "README.md", *FOLDERS):
        path = ROOT / name
        if path.is_dir():
            shutil.copytree(path, src / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(path, src / name)
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(out), str(src)],
                   check=True, capture_output=True, timeout=300)
    (built,) = out.glob("dvidpy-*.whl")
    return built


def test_the_wheel_holds_only_dvidpy(wheel):
    with zipfile.ZipFile(wheel) as z:
        top = {name.split("/")[0] for name in z.namelist()}
        entry_points = z.read(next(n for n in z.namelist() if n.endswith("entry_points.txt"))).decode()
    name, version = wheel.name.split("-")[:2]
    assert top == {"dvidpy", f"{name}-{version}.dist-info"}
    assert "dvidpy = dvidpy.cli:main" in entry_points


def test_dvidpy_and_a_lab_package_named_core_import_side_by_side(wheel, tmp_path):
    site = tmp_path / "site"
    with zipfile.ZipFile(wheel) as z:
        z.extractall(site)
    lab = tmp_path / "lab"
    (lab / "core").mkdir(parents=True)
    (lab / "core" / "__init__.py").write_text("WHO = 'the lab'\n")
    readme = (ROOT / "README.md").read_text()
    example = readme.split("```python\n# my_dvid_plugin.py\n", 1)[1].split("```", 1)[0]
    (lab / "my_dvid_plugin.py").write_text(example)
    script = (
        "import core, dvidpy, my_dvid_plugin\n"
        "from dvidpy.plugin_manager import Plugins, make_plugin_manager\n"
        "plugins = Plugins(make_plugin_manager(entry_points=False, extra=[my_dvid_plugin]))\n"
        "print(core.WHO, dvidpy.__file__, ','.join(sorted(plugins.types)[:2]), sep='|')\n"
    )
    env = {"PYTHONPATH": f"{site}:{lab}", "PATH": "/usr/bin:/bin"}
    run = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, env=env, capture_output=True,
                         text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip().split("|") == ["the lab", str(site / "dvidpy" / "__init__.py"), "counter,float32blk"]
    version = subprocess.run([sys.executable, "-m", "dvidpy", "--version"], cwd=tmp_path, env=env,
                             capture_output=True, text=True, timeout=60)
    assert version.returncode == 0, version.stderr
    assert version.stdout.startswith("dvidpy ")
