"""Digests for account managers: what to look at, per client, on a schedule.

- ``content``  ``build_digest`` → ``model.Digest`` (sections, headlines, workload)
- ``monthly``  ``build_monthly_report`` → ``MonthlyReport``; ``report.render_report_file``
- ``render``   one renderer per format (html, md, text, slack, mattermost, teams, telegram,
  webhook), Jinja2 templates in ``templates/``, strings in ``translations/`` (ru, en)
- ``schedule`` ``due_slots``: which (kind, period) is due for a manager now
- ``service``  ``DigestService.run_due`` / ``preview``: exactly-once delivery through
  ``syncd.channels``

Import from the submodules; this package imports nothing so that ``syncd.channels`` and
``syncd.digest`` can depend on each other's leaves without cycles.
"""

__all__: list[str] = []
