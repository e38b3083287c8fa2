"""Texts and keyboards: what a message looks like. No database."""
