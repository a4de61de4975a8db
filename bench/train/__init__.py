"""Training small codecs that differ only in their quantizer (see docs/training.md).

config (YAML recipes with base overrides) -> data (seeded crops of a bundled
set) -> model (frame-rate ConvNeXt encoder/decoder around a quantizer) ->
losses (multi-resolution mel/STFT + L1) -> loop (`train`, resumable) ->
checkpoint/card (fp16 export and its provenance) -> ship (into codecs/trained/).
"""
