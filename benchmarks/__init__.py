"""dvidpy's benchmark: a real server on loopback, timed against its limits and a peer.

Run ``python -m dvidpy.benchmarks`` (or ``dvidpy bench``); ``--quick`` is a small smoke run.
"""
