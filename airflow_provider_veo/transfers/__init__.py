"""Transfers of Scenario assets to object storage."""
