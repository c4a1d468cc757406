"""Benchmarks of the dashboard API: `python -m bench` (see bench/README.md).

Kept empty of imports on purpose: the cold-start child (`python -m bench.cold_child`) imports
this package first, and it must cost nothing.
"""
