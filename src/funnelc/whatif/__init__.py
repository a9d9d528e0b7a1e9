"""funnelc.whatif: what-ifs, sweeps and staffing searches on top of `funnelc.sim`.

* `variants`: models changed by override lines (`--set`, one `--vary` value) parsed with
  the language's own scenario grammar, so bad input reads like any other diagnostic.
* `metrics`: the per-replication figures every comparison is made of.
* `executors`: (variant × replication batch) work units on local processes or Dask.
* `compare`: paired deltas of scenarios against the baseline (common random numbers).
* `grid`: `--vary` specs and the grid they span.
* `staffing`: the smallest team size meeting service targets.
* `plots`: matplotlib figures (PNG + SVG).

Importing a submodule may import numpy and simpy: the CLI imports them inside commands.
"""
