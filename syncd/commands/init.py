"""``syncd init``: from a tracker URL and a token to a first policy and a first report.

It signs in (the ``doctor`` checks), lists the projects (Jira: categories and leads; GitLab:
the group's subgroups and projects), proposes clients (Jira project category / GitLab
subgroup, else the project's name) and one manager per project lead, detects the start-date
field (Jira) or the labels that mean "work started" (GitLab), and writes a commented policy
with ``enforce: false`` — validated through the same loader as ``syncd config validate``
before it is written. Then a report-only ``check`` (nothing is written to the tracker) and a
short summary. The token's value is never written or printed: the file names its variable.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from config.policy import SourceConfig
from config.settings import resolve_secret
from connectors.base import Connector, DoctorCheck
from connectors.projects import ProjectLead, TrackerProject
from syncd.core.errors import ConfigError
from syncd.policy_file import read_policy_text

__all__ = ["InitRequest", "Proposal", "propose", "render_policy", "run_init", "summarize"]

Echo = Callable[[str], None]
DEFAULT_ZONE = "UTC"
_CYRILLIC = re.compile(r"[А-Яа-яЁё]")
_FATAL_CHECKS = frozenset({"server", "auth", "version", "scope"})
"""Doctor checks without which nothing else can be read: init stops there."""


@dataclass(frozen=True)
class InitRequest:
    tracker: Literal["jira", "gitlab"]
    url: str
    secret: str
    """The NAME of the environment variable holding the token, never the token."""
    out: Path
    force: bool = False
    user: str | None = None
    """Jira Cloud: the account's e-mail (basic auth); without it Jira uses a bearer PAT."""
    flavour: Literal["auto", "cloud", "dc"] = "auto"
    group: str | None = None
    """GitLab: the group (path) whose projects to watch."""
    name: str | None = None


@dataclass(frozen=True)
class Manager:
    name: str
    timezone: str
    language: Literal["ru", "en"]
    projects: tuple[str, ...]
    notes: tuple[str, ...]
    """Why a value is a guess, written as comments beside it."""


@dataclass(frozen=True)
class Proposal:
    source: dict[str, object]
    projects: tuple[TrackerProject, ...]
    clients: dict[str, str]
    managers: tuple[Manager, ...]
    calendar_zone: str
    language: Literal["ru", "en"]
    detected: str
    """One comment line: what was detected (the start-date field, the Doing labels)."""


def _source_name(request: InitRequest) -> str:
    return request.name or request.tracker


def base_source(request: InitRequest, scope: dict[str, str]) -> dict[str, object]:
    """The source block as the policy model takes it (``SourceConfig``)."""
    source: dict[str, object] = {
        "name": _source_name(request),
        "type": request.tracker,
        "url": request.url,
        "scope": scope,
        "enforce": False,
    }
    if request.tracker == "jira":
        source["flavour"] = {"auto": "auto", "cloud": "cloud", "dc": "datacenter"}[request.flavour]
        if request.user:
            source["auth"] = {"kind": "basic", "user": request.user, "secret": request.secret}
        else:
            source["auth"] = {"kind": "bearer", "secret": request.secret}
    else:
        source["auth"] = {"kind": "private_token", "secret": request.secret}
    return source


def _language(lead: ProjectLead, tracker: str) -> tuple[Literal["ru", "en"], str | None]:
    if lead.locale:
        return ("ru" if lead.locale.lower().startswith("ru") else "en"), None
    if _CYRILLIC.search(lead.name):
        return "ru", f"{tracker} does not show the locale: Russian guessed from the name"
    return "en", f"{tracker} does not show the locale: English assumed"


def propose_managers(
    projects: Sequence[TrackerProject], tracker: str, fallback_zone: str
) -> tuple[Manager, ...]:
    """One manager per project lead, owning the projects they lead."""
    led: dict[str, list[TrackerProject]] = {}
    leads: dict[str, ProjectLead] = {}
    for project in projects:
        if project.lead is not None:
            led.setdefault(project.lead.id, []).append(project)
            leads[project.lead.id] = project.lead
    managers = []
    label = "Jira" if tracker == "jira" else "GitLab"
    for lead_id, owned in led.items():
        lead = leads[lead_id]
        notes = []
        zone = lead.time_zone
        if not zone:
            zone = fallback_zone
            notes.append(f"{label} does not show the user's time zone: {zone} assumed")
        language, note = _language(lead, label)
        if note:
            notes.append(note)
        managers.append(
            Manager(lead.name, zone, language, tuple(p.key for p in owned), tuple(notes))
        )
    return tuple(managers)


def propose(
    request: InitRequest,
    projects: Sequence[TrackerProject],
    *,
    profile_zone: str | None,
    start_field: str | None,
    doing_labels: Sequence[str],
) -> Proposal:
    if request.tracker == "jira":
        keys = ", ".join(p.key for p in projects)
        scope = {"jql": f"project in ({keys})"}
    else:
        scope = {"group": str(request.group)}
    source = base_source(request, scope)
    if request.tracker == "jira":
        source["start_date_field"] = start_field
        detected = (
            f"start-date field: {start_field!r}"
            if start_field
            else "no start-date field found: starts come from the changelog"
        )
    else:
        source["doing_labels"] = list(doing_labels) or ["Doing"]
        detected = (
            f"labels meaning work started: {', '.join(doing_labels)}"
            if doing_labels
            else "no label named like Doing / In progress / В работе found: Doing assumed"
        )
    leads_zones = Counter(p.lead.time_zone for p in projects if p.lead and p.lead.time_zone)
    zone = profile_zone or (leads_zones.most_common(1)[0][0] if leads_zones else DEFAULT_ZONE)
    managers = propose_managers(projects, request.tracker, zone)
    languages = Counter(m.language for m in managers)
    language: Literal["ru", "en"] = languages.most_common(1)[0][0] if languages else "en"
    clients = {p.key: p.client or p.name for p in projects}
    return Proposal(source, tuple(projects), clients, managers, zone, language, detected)


def _q(value: object) -> str:
    """A YAML scalar: JSON strings are valid YAML and quote anything a name may hold."""
    return json.dumps(value, ensure_ascii=False)


def render_policy(p: Proposal, when: datetime) -> str:
    s = p.source
    auth = s["auth"]
    assert isinstance(auth, dict)
    scope = s["scope"]
    assert isinstance(scope, dict)
    lines = [
        f"# syncd policy written by `syncd init` on {when:%Y-%m-%d %H:%M} UTC.",
        "# Check it with `syncd config validate FILE`; the JSON Schema for editor completion",
        "# is printed by `syncd config schema`.",
        "version: 1",
        "",
        "sources:",
        f"  - name: {_q(s['name'])}",
        f"    type: {s['type']}",
        f"    url: {_q(s['url'])}",
    ]
    if "flavour" in s:
        lines.append(f"    flavour: {s['flavour']}                 # auto = read from serverInfo")
    lines += [
        "    auth:",
        f"      kind: {auth['kind']}",
    ]
    if auth.get("user"):
        lines.append(f"      user: {_q(auth['user'])}")
    lines += [
        f"      secret: {auth['secret']}   # the NAME of the variable holding the token "
        "(or NAME_FILE); never the token",
        "    scope:",
        *(f"      {k}: {_q(v)}" for k, v in scope.items()),
        "    enforce: false                  # report-only: read `syncd check`, then set true",
        f"    language: {p.language}                    # language of the reminder comments",
        "    calendar:",
        f"      timezone: {_q(p.calendar_zone)}",
        "      # country: RU                 # public holidays: your ISO country code",
        '      working_hours: {start: "09:00", end: "19:00"}',
    ]
    if "start_date_field" in s:
        field = s["start_date_field"]
        lines.append(
            f"    start_date_field: {_q(field)}   # {p.detected}"
            if field
            else f"    start_date_field: null   # {p.detected}"
        )
    if "doing_labels" in s:
        lines.append(f"    doing_labels: {_q(s['doing_labels'])}   # {p.detected}")
    lines += [
        "",
        "# Without a `rules:` list every built-in rule runs with its defaults;",
        "# see config/examples/ for per-rule parameters (sections per brief, checkpoint...).",
        "exempt_labels: [no-syncd]             # tasks with these labels are never flagged",
        "",
        "clients:                              # project → client, for digests and reports",
    ]
    if p.clients:
        lines += [f"  {_q(k)}: {_q(v)}" for k, v in p.clients.items()]
    else:
        lines[-1] = "clients: {}"
    lines += ["", "managers:                             # one per project lead"]
    if not p.managers:
        lines[-1] = "managers: []                          # no project lead found"
    for m in p.managers:
        lines += [f"  - name: {_q(m.name)}"]
        lines += [f"    # {note}" for note in m.notes]
        lines += [
            f"    timezone: {_q(m.timezone)}",
            f"    language: {m.language}",
            "    owns:",
            f"      - source: {_q(s['name'])}",
            f"        projects: {_q(list(m.projects))}",
            "    channels: []                    # where the digest goes, e.g.:",
            "    #   - {type: email, to: [name@agency.example], smtp_host: smtp.agency.example,",
            "    #      sender: syncd@agency.example, smtp_password_secret: SMTP_PASSWORD}",
            "    #   - {type: telegram, bot_token_secret: TELEGRAM_BOT_TOKEN, chat_id: '-100…'}",
        ]
    return "\n".join(lines) + "\n"


def _connector(source: dict[str, object], secret: str) -> Connector:
    from connectors.factory import create_connector

    config = SourceConfig.model_validate(source)
    resolve_secret(secret)  # a variable that is not set: one clear line, before any request
    return create_connector(config, interactive=True)


def _doctor(connector: Connector, echo: Echo) -> list[DoctorCheck]:
    checks = connector.doctor()
    for item in checks:
        echo(f"  {'ok  ' if item.ok else 'FAIL'}  {item.name}: {item.detail}")
    return checks


def discover(request: InitRequest) -> Proposal:
    """Sign in, list the projects, detect fields and labels: the proposal for the file."""
    if request.tracker == "jira":
        from connectors.jira import JiraConnector
        from connectors.jira.projects import find_start_date_field
        from connectors.jira.projects import list_projects as jira_projects

        # Listing needs no scope; a placeholder lets the connector be built.
        first = _connector(base_source(request, {"jql": "project is not EMPTY"}), request.secret)
        try:
            assert isinstance(first, JiraConnector)
            if first.site.cloud and not request.user:
                raise ConfigError(
                    "Jira Cloud signs in with the account's e-mail and an API token: "
                    "give --user E-MAIL (without it a Data Center PAT is assumed)"
                )
            projects = jira_projects(first)
            start = find_start_date_field(first)
            zone = str(first.myself().get("timeZone") or "") or None
        finally:
            first.close()
        proposal = propose(request, projects, profile_zone=zone, start_field=start, doing_labels=())
    else:
        from connectors.gitlab import GitLabConnector
        from connectors.gitlab.projects import find_doing_labels
        from connectors.gitlab.projects import list_projects as gitlab_projects

        if not request.group:
            raise ConfigError("GitLab: give the group to watch (--group agency)")
        first = _connector(base_source(request, {"group": request.group}), request.secret)
        try:
            assert isinstance(first, GitLabConnector)
            projects = gitlab_projects(first)
            labels = find_doing_labels(first)
        finally:
            first.close()
        proposal = propose(
            request, projects, profile_zone=None, start_field=None, doing_labels=labels
        )
    if not proposal.projects:  # Jira's `project in ()` is no scope at all
        raise ConfigError(
            "this account sees no project: give it access (Jira: Browse projects; GitLab: "
            "membership of the group) and run init again"
        )
    return proposal


def run_init(request: InitRequest, echo: Echo) -> int:
    """Write the policy and print a first report. Returns the exit code: 0, or 2 for a
    file that exists (without ``force``) or bad input, 3 when the tracker refuses."""
    if request.out.exists() and not request.force:
        echo(f"{request.out} exists; pass --force to overwrite it")
        return 2
    echo(f"Signing in to {request.url} …")
    proposal = discover(request)
    checker = _connector(proposal.source, request.secret)
    try:
        checks = _doctor(checker, echo)
    finally:
        checker.close()
    if any(not c.ok and c.name in _FATAL_CHECKS for c in checks):
        echo("init stopped: fix the failed check above and run it again")
        return 3
    _print_proposal(proposal, echo)
    text = render_policy(proposal, datetime.now(UTC))
    read_policy_text(text, str(request.out))  # never write a file `config validate` refuses
    request.out.parent.mkdir(parents=True, exist_ok=True)
    with request.out.open("w" if request.force else "x", encoding="utf-8") as f:
        f.write(text)
    echo(f"Policy written to {request.out} (enforce: false: nothing is posted yet).\n")
    return first_report(request.out, echo)


def _print_proposal(p: Proposal, echo: Echo) -> None:
    echo(f"{len(p.projects)} project(s):")
    for project in p.projects:
        lead = project.lead.name if project.lead else "no lead"
        echo(f"  {project.key}: {project.name} — client {p.clients[project.key]}, {lead}")
    echo(f"{len(p.managers)} manager(s): {', '.join(m.name for m in p.managers) or 'none'}")
    echo(p.detected)


@dataclass(frozen=True)
class Summary:
    tasks: int
    by_rule: dict[str, int]
    top_clients: list[tuple[str, int]]
    not_read: dict[str, str]


def summarize(policy_path: Path) -> Summary:
    """A report-only ``check`` of the written policy: sync (reads only), evaluate, count."""
    from rules.engine import Engine
    from syncd.commands.check import sync_for_check
    from syncd.core.clock import process_clock
    from syncd.digest.scope import Clients
    from syncd.source_cycle import evaluate_source
    from syncd.wiring import load_app

    app = load_app(policy_path, dry_run=True)
    try:
        names = [s.name for s in app.policy.sources]
        failed, broken = sync_for_check(app, names)
        engine = Engine.from_policy(app.policy)
        now = process_clock(app.settings.clock_start).now()
        clients = Clients(app.policy)
        tasks = 0
        by_rule: Counter[str] = Counter()
        by_client: Counter[str] = Counter()
        for name in names:
            tasks += sum(1 for _ in app.store.iter_tasks(name, open_only=True))
            ev = evaluate_source(app.store, engine, name, now)
            for finding in ev.findings:
                by_rule[finding.rule] += 1
                task = ev.tasks.get(finding.task_key)
                by_client[clients.of(task) if task else finding.task_key] += 1
    finally:
        app.store.close()
    return Summary(
        tasks, dict(by_rule.most_common()), by_client.most_common(5), {**broken, **failed}
    )


def first_report(policy_path: Path, echo: Echo) -> int:
    summary = summarize(policy_path)
    for name, error in summary.not_read.items():
        echo(f"{name}: not read: {error}")
    findings = sum(summary.by_rule.values())
    echo(f"Report-only check: {summary.tasks} open task(s), {findings} finding(s).")
    if summary.by_rule:
        echo("Findings per rule:")
        echo("\n".join(f"  {rule}: {n}" for rule, n in summary.by_rule.items()))
        echo("Clients with most violations:")
        echo("\n".join(f"  {client}: {n}" for client, n in summary.top_clients))
    echo(
        f"Next: read `syncd --config {policy_path} check`, then set `enforce: true` in "
        f"{policy_path} to post reminders."
    )
    return 3 if summary.not_read else 0
