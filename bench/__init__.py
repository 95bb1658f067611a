"""Benchmarks of D73: each prints its figures and the ceiling they compare with."""
