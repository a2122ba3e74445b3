"""One module per ``syncd`` command: the work each command does. ``syncd.cli`` only
parses options and calls these.
"""
