"""Property tests (hypothesis). A package, so that its conftest.py is ``property.conftest`` and
``from conftest import Harness`` still finds tests/conftest.py."""
