"""Evidence: the curated LDN trials and the meta-analysis engine."""
