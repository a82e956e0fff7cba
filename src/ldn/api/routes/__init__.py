"""API routes, one module per area; each exports ``router``."""
