"""Random-weight checkpoints of the released codec architectures.

They have the released models' exact architecture and file format, so the
whole path (weights lookup, hashing, loading, encoding, frame counts,
alignment, the runner) can be exercised without the real checkpoints, which
need internet access. What they decode is noise: never report it as a result.

    python -m bench.codecs.random_weights dac 16khz /tmp/dac16.pth
"""
from __future__ import annotations

import argparse
from pathlib import Path

import torch


def random_dac_checkpoint(model: str, path: str | Path, seed: int = 0) -> Path:
    """Write a DAC checkpoint in the library's own format (`DAC.save(package=False)`).

    Initialisation follows `dac.model.dac.init_weights` (normal weights, std
    0.02, zero biases) but is done directly on the weight-norm factors, which
    is much faster than building the model normally.
    """
    from dac.model.dac import DAC

    from bench.codecs.dac import DAC_MODELS

    gen = torch.Generator().manual_seed(seed)
    with torch.device("meta"):
        net = DAC(**DAC_MODELS[model].kwargs())
    net.to_empty(device="cpu")
    params = dict(net.named_parameters())
    with torch.no_grad():
        for name, p in params.items():
            if name.endswith("weight_v") or name.endswith("codebook.weight"):
                p.copy_(torch.randn(p.shape, generator=gen) * (0.02 if name.endswith("weight_v") else 1.0))
            elif name.endswith("bias"):
                p.zero_()
            elif name.endswith("alpha"):
                p.fill_(1.0)
        for name, p in params.items():
            if name.endswith("weight_g"):   # |v| per output channel: the effective weight is v
                v = params[name[:-1] + "v"]
                p.copy_(v.flatten(1).norm(dim=1).view(p.shape))
    path = Path(path)
    net.save(str(path), package=False)
    return path


def random_encodec_checkpoint(model: str, path: str | Path, seed: int = 0) -> Path:
    """Write an Encodec state dict (the publisher's format) with filled codebooks.

    A fresh `EncodecModel` has all-zero codebooks until k-means initialisation
    on the first training batch; here they are filled with N(0, 1) entries and
    marked initialised.
    """
    from encodec import EncodecModel

    torch.manual_seed(seed)
    net = getattr(EncodecModel, f"encodec_model_{model}")(pretrained=False)
    with torch.no_grad():
        for name, buf in net.named_buffers():
            if name.endswith("_codebook.embed"):
                buf.normal_()
                net.get_buffer(name + "_avg").copy_(buf)
            elif name.endswith("_codebook.cluster_size"):
                buf.fill_(1.0)
            elif name.endswith("_codebook.inited"):
                buf.fill_(1.0)
    path = Path(path)
    torch.save(net.state_dict(), path)
    return path


MAKERS = {"dac": random_dac_checkpoint, "encodec": random_encodec_checkpoint}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("family", choices=sorted(MAKERS))
    parser.add_argument("model", help="16khz, 24khz or 44khz (DAC); 24khz or 48khz (Encodec)")
    parser.add_argument("path", type=Path)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    print(MAKERS[args.family](args.model, args.path, args.seed))


if __name__ == "__main__":
    main()
