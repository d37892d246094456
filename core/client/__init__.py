"""dvidpy.client: DVID's HTTP API from Python, with volumes as numpy arrays.

It speaks only DVID's HTTP API, so it works against DVID as well as dvidpy::

    from dvidpy.client import Client
    c = Client("http://127.0.0.1:8000")
    repo = c.new_repo("mydata")                   # a Repo; repo.uuid is the root version's UUID
    node = c.node(repo.uuid)                      # also a unique prefix, or "uuid:branch"
    vol = node.new_instance("uint8blk", "grayscale", VoxelSize="8,8,8")
    vol[0:64, 0:128, 0:128] = array               # z, y, x; block-aligned
    sub = vol[3:40, 5:70, 9:100]                  # any box, as a numpy array
    node.commit("first data"); child = node.newversion()
    labels = child["labels"]                      # an existing instance by name

Every coordinate here is (z, y, x), the order numpy indexes volume arrays in; the client turns
them into DVID's x_y_z URLs. Indices are voxel coordinates (negative ones are real coordinates,
not counted from the end). Every refusal by the server raises :class:`DVIDClientError` with
the status and DVID's message.
"""

try:
    import httpx  # noqa: F401
except ImportError as exc:  # pragma: no cover - depends on the installation
    raise ImportError("dvidpy.client needs httpx: pip install 'dvidpy[client]'") from exc

from dvidpy.client.boxes import Box
from dvidpy.client.client import Client, Repo
from dvidpy.client.errors import DVIDClientError, UnalignedWrite
from dvidpy.client.instances import Instance
from dvidpy.client.nodes import Node
from dvidpy.client.rois import ROI
from dvidpy.client.volumes import Labels, Volume

__all__ = ["ROI", "Box", "Client", "DVIDClientError", "Instance", "Labels", "Node", "Repo", "UnalignedWrite",
           "Volume"]
