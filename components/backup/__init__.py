"""Backup, restore and restore drills for the platform's PostgreSQL and Redis.

Shipped to the VM on its own (this package plus the empty `components/__init__.py`), so it
imports nothing from the rest of the repo: only the standard library and boto3.
"""
