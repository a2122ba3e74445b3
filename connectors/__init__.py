"""Tracker connectors behind one contract (``connectors.base.Connector``) and the sandbox
trackers used by tests, benchmarks, ``syncd demo`` and ``syncd sandbox``."""
