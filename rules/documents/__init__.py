"""Description documents (ADF, Jira wiki, Markdown) → blocks → named sections.

Usable by the connectors without loading the rule engine.
"""
