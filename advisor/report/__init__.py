"""Outputs: test metrics, the text report and the run folder's HTML page."""
