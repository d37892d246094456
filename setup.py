"""The optional compiled hot path (dvidpy.native._blocks); everything else is in pyproject.toml.

``optional=True``: where there is no compiler or no Python headers the build of the extension
fails with a warning, the install goes on, and dvidpy runs its pure-Python twin.
"""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "dvidpy.native._blocks",
            sources=["core/native/_blocks.c", "core/native/segmentation.c"],
            depends=["core/native/segmentation.h"],
            extra_compile_args=["-O3", "-pthread"],
            extra_link_args=["-pthread"],
            optional=True,
        )
    ]
)
