"""Tracker connectors behind one contract (``connectors.base.Connector``) and the sandbox
trackers used by tests, benchmarks, ``syncd demo`` and ``syncd sandbox``."""

from connectors.base import Check, Connector, Page, Reminder, ReminderItem

__all__ = ["Check", "Connector", "Page", "Reminder", "ReminderItem"]
