"""Audio quality metrics; importing this package registers them all in `METRICS`.

One module per metric family, each a pure function plus a thin `Metric`
wrapper (see `bench.metrics.base`):

=============  ==============================  =========  ==========
registry name  module                          rate (Hz)  reference
=============  ==============================  =========  ==========
pesq_wb        `bench.metrics.pesq`            16000      yes
pesq_nb        `bench.metrics.pesq`            8000       yes
stoi, estoi    `bench.metrics.stoi`            16000      yes
si_sdr         `bench.metrics.si_sdr`          16000      yes
mel_distance   `bench.metrics.mel`             16000      yes
dnsmos         `bench.metrics.dnsmos`          16000      no
utmos          `bench.metrics.utmos`           16000      no
=============  ==============================  =========  ==========

The pure functions live in their modules (``from bench.metrics.pesq import
pesq_wb``). Importing is cheap (numpy only): libraries, torch and models load
on first use or in `Metric.load`.
"""
from bench.metrics import dnsmos, mel, pesq, si_sdr, stoi, utmos  # noqa: F401  (registration)
from bench.metrics.base import ItemError, Metric, MetricSpec, check_signal

__all__ = ["ItemError", "Metric", "MetricSpec", "check_signal"]
