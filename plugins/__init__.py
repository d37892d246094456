"""Datatype plugins that ship with dvidpy; each registers through the same hooks as third-party ones."""
