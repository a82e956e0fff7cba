"""Pure clinical and statistical logic: no I/O beyond reading shipped package data.

The domain imports nothing from ``ldn.persistence``, ``ldn.interop``, ``ldn.services``,
``ldn.api``, ``ldn.web`` or ``ldn.cli`` (an import-linter contract enforces it).
"""
