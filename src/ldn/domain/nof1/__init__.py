"""Personal (N-of-1) trials of LDN vs placebo: design, blinding, exact Bayesian analysis."""
