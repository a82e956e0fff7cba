"""domain pk layer of ldn (filled by a later issue)."""
