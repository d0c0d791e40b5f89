"""The data stage: responses read (``choices``, ``items``) or simulated (``simulate``,
``items_simulate``) into a validated long table, and data-quality checks (``quality``)."""
