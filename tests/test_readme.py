"""The README's plugin example is real code: load it as a plugin and use it over HTTP."""

import re
import types
from pathlib import Path

from conftest import test_plugins

README = Path(__file__).resolve().parent.parent / "README.md"


def readme_plugin() -> types.ModuleType:
    text = README.read_text()
    code = re.search(r"```python\n(# my_dvid_plugin.py\n.*?)```", text, re.S).group(1)
    module = types.ModuleType("my_dvid_plugin")
    exec(compile(code, "README.md", "exec"), module.__dict__)
    return module


def test_readme_plugin_works_and_versions(make_dvid):
    plugin = readme_plugin()
    dvid = make_dvid(plugins_factory=lambda: test_plugins(plugin))
    uuid = dvid.new_repo()
    dvid.new_instance(uuid, "counter", "hits")
    assert dvid.get(f"/api/node/{uuid}/hits/value").content == b"0"
    dvid.ok("POST", f"/api/node/{uuid}/hits/value", content=b"41")
    dvid.commit(uuid)
    child = dvid.newversion(uuid)
    dvid.ok("POST", f"/api/node/{child}/hits/value", content=b"42")
    assert dvid.get(f"/api/node/{uuid}/hits/value").content == b"41"
    assert dvid.get(f"/api/node/{child}/hits/value").content == b"42"
    bad = dvid.post(f"/api/node/{child}/hits/value", content=b"forty")
    assert bad.status_code == 400
    assert bad.text == f"value must be a decimal integer (/api/node/{child}/hits/value).\n"
    assert dvid.get(f"/api/node/{child}/hits/value").content == b"42"
    assert "counter: a versioned integer." in dvid.get("/api/help/counter").text
