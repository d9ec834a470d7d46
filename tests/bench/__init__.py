"""Tests of the benchmarks' own logic (corpus building and scoring), which decides what their figures mean."""
