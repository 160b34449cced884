"""The machine: devices, bf16 support, and timed mixed-precision steps."""
