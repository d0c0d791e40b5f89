"""Item studies: best-worst scaling (object case) and rankings of a list of items.

A study with ``type: best-worst`` or ``type: ranking`` declares ``items:`` instead of
``attributes:``. The stages mirror the attribute pipeline:

- :mod:`dce.design.items`: balanced incomplete block designs (BIBD) when they exist,
  near-balanced designs found by search otherwise, blocking, diagnostics;
- :mod:`dce.data.items`: long / wide best-worst data and rankings, validated;
- :mod:`dce.data.items_simulate`: synthetic respondents from item utilities;
- :mod:`dce.models.items`: expansion into a :class:`dce.core.coding.ChoiceData` (sequential
  best-worst, maxdiff pairs, exploded rankings) fitted by the conditional logit;
- :mod:`dce.analysis.items`: shares of preference, ranks, rank probabilities and
  best-minus-worst counts;
- :mod:`dce.items.pipeline`: ``analyse_items(study, stage, jobs) -> dce.pipeline.Run``.
"""
