"""domain nof1 layer of ldn (filled by a later issue)."""
