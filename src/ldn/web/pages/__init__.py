"""Web pages, one module per audience; each exports ``router``."""
