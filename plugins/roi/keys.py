"""The keys of an roi instance (DVID's layout).

=====  ==========================================================  =====
class  TKey payload                                                value
=====  ==========================================================  =====
90     ZYX block index of the span's first block, then its length   empty
       in blocks (big-endian uint32)
=====  ==========================================================  =====

Key order is therefore (z, y, x0, length), and posting the same span twice writes one key.
"""

SPAN_CLASS = 90

KEY_CLASSES = {SPAN_CLASS: "ROI block + span key: a run of blocks along x"}
