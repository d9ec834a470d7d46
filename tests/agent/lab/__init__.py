"""Tests of the namespace lab's own helpers."""
