"""The account manager's rules, pure functions of (task, now, calendar).

- ``rules.documents``  description documents (ADF, Jira wiki, Markdown) → named sections;
  the connectors use it too, without loading the engine;
- ``rules.engine``     ``Engine.from_policy(policy).evaluate(tasks, now)``, the entry point;
- ``rules.builtin``    one module per rule (its check, wording, label and docs);
- ``rules.registry``   name → rule, discovering the built-in modules;
- ``rules.calendar``, ``rules.checkpoints``, ``rules.briefs``, ``rules.texts``.

Nothing is imported here, so importing a part never loads the rest.
"""
