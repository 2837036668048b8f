"""Saved cases, replay and reports."""
