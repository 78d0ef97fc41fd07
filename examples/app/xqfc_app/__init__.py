"""The county listing site in miniature: the reference app for the xqfc platform.

See ../README.md for the contract between this app and the platform (port, health,
metrics, migration command, environment, user, read-only root).
"""
__all__ = ["__version__"]

__version__ = "1.0.0"
