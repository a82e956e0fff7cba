"""persistence layer of ldn (filled by a later issue)."""
