"""The run stage: the stages in order (``stages``, ``fit``, ``items``), ``runner`` (analyse
and write), the atomic run ``folder`` and the ``outputs`` written into it; ``api`` is
``dce.analyse``, the same analysis in memory."""
