"""Test material shipped with the package: the fault-injection suite."""
