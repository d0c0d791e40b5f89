"""dce: discrete-choice experiments for health and care research.

A researcher writes one YAML file; dce builds the design, simulates or reads the
responses, fits conditional logit models per respondent group, ranks attributes by
importance with uncertainty, compares groups and writes a reproducible run folder.
"""

__version__ = "0.1.0"

from dce.config import load_config  # noqa: E402
from dce.errors import ConfigError, DataError, DceError, DesignError, EstimationError  # noqa: E402

__all__ = [
    "__version__",
    "load_config",
    "DceError",
    "ConfigError",
    "DataError",
    "DesignError",
    "EstimationError",
]
