"""Allow `python -m ldn`."""

from ldn.cli.main import entry

entry()
