"""Codec-quantizer benchmark harness.

One encode/decode API for reference codecs, trained quantizer codecs (Q2D2,
FSQ, VQ, RVQ) and pretrained codecs (DAC, Encodec, NeuCodec); a runner that
scores them on named test sets; tidy results, paper-style tables and plots.
"""
__version__ = "0.1.0"
