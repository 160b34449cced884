"""The run's machinery under every stage: budget, progress, run folder, run safety,
options, hosts, objective, TensorFlow memory. Imports no other advisor stage."""
