"""The ``ldn`` command-line interface (Typer + rich)."""
