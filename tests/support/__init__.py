"""Helpers shared by the operator, trigger, sensor and link tests (plain functions, no fixtures)."""
