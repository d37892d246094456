"""How much one request may ask for.

DVID refuses voxel requests whose answer (or decoded body) would exceed 3 GiB; every endpoint
that sizes its work checks against :data:`MAX_REQUEST_BYTES`. Request bodies get a little
room above it for framing.
"""

from __future__ import annotations

MAX_REQUEST_BYTES = 3 << 30
MAX_BODY_BYTES = MAX_REQUEST_BYTES + (1 << 20)
