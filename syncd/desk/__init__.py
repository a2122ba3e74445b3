"""The account manager's desk: a read-only web page per manager, served by the daemon."""
