"""The account manager's rules: description sections, business calendar, rule engine."""
