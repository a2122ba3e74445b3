"""Real stand-ins the tests share: a throw-away PostgreSQL server (``postgres``)."""
