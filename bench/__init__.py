"""Benchmarks of the market half (python -m bench); never collected by pytest."""
