"""Training: the pipeline of `advisor train`, the final fit and its guards, the run folder, hosts."""
