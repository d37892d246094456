"""The labelblk datatype plugin (registration only; the datatype is being built)."""

from core import hookimpl


@hookimpl
def dvidpy_register_datatypes(registry) -> None:
    """Nothing registered yet."""
