"""Option values shared by the config schema and the estimators, spelt once."""

from __future__ import annotations

from typing import Literal

VcovType = Literal["cluster", "robust", "classic"]
"""Covariance of the estimates (``model.se``; see :mod:`dce.models.covariance`)."""
