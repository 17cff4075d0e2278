"""Helpers that drive the system Chromium for browser tests (no downloaded browsers)."""
