"""Benchmarks: scripts that print numbers (``python -m tests.bench.<module>``)."""
