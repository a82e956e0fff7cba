"""services layer of ldn (filled by a later issue)."""
