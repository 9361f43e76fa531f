"""Benchmarks: ``python bench/run.py`` (``make bench``) runs every ``bench_*.py`` module here."""
