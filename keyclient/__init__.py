"""Keyclient: relationship management for a commercial bank's key clients."""
