"""The probe: a short monitored fit, the training findings it yields, and the LR range test."""
