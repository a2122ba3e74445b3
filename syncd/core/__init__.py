"""The kernel: models, errors, logs, clock, user text. Imports nothing of the project."""
