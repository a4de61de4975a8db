"""Codec-quantizer benchmark harness."""
