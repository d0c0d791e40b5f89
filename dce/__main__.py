"""``python -m dce``: the command line (see :func:`dce.cli.main`)."""

from dce.cli import entry

entry()
