"""The policy file: which trackers to watch, which rules to keep, who gets which digest.

The YAML file is validated into these models; ``syncd config schema`` prints their JSON
Schema for editors. Secrets are never written here, only the *names* of environment
variables holding them (see ``config.settings.resolve_secret``).
"""

from __future__ import annotations

from datetime import time
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from croniter import croniter
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from config.policy_values import (
    CooldownSeconds,
    EnvName,
    OverlapSeconds,
    PollSeconds,
    TimeoutSeconds,
    boolean_for_number,
    without_credentials,
)

__all__ = [
    "AuthConfig",
    "CalendarConfig",
    "ChannelConfig",
    "DigestSchedules",
    "ManagerConfig",
    "OwnedScope",
    "Policy",
    "RuleConfig",
    "RuleScope",
    "SourceConfig",
    "SourceScope",
    "WorkingHours",
]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    @field_validator("*", mode="before")
    @classmethod
    def _no_booleans_for_numbers(cls, value: Any, info: ValidationInfo) -> Any:
        """``smtp_port: true`` is a mistake, not port 1."""
        if info.field_name is not None and boolean_for_number(
            cls.model_fields[info.field_name].annotation, value
        ):
            raise ValueError("expected a number, not true/false")
        return value


def _check_zone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f"unknown time zone {value!r}; expected an IANA name such as Europe/Moscow"
        ) from None
    return value


class AuthConfig(_Model):
    """How syncd logs in. ``secret`` names the environment variable holding the token."""

    kind: Literal["basic", "bearer", "private_token"] = Field(
        description="basic = Jira Cloud e-mail + API token; bearer = Jira DC PAT or GitLab "
        "OAuth token; private_token = GitLab personal/project/group access token."
    )
    user: str | None = Field(default=None, description="E-mail for Jira Cloud basic auth.")
    secret: EnvName = Field(
        description="Name of the environment variable with the token (or NAME_FILE)."
    )

    @model_validator(mode="after")
    def _basic_needs_user(self) -> AuthConfig:
        if self.kind == "basic" and not self.user:
            raise ValueError("basic auth needs 'user' (the account's e-mail)")
        return self


class SourceScope(_Model):
    """What to watch: a JQL for Jira; a project or group path for GitLab."""

    jql: str | None = Field(default=None, description="Jira: JQL selecting the issues.")
    project: str | None = Field(default=None, description="GitLab: project path or id.")
    group: str | None = Field(default=None, description="GitLab: group path or id.")

    @model_validator(mode="after")
    def _exactly_one(self) -> SourceScope:
        given = [k for k in ("jql", "project", "group") if getattr(self, k)]
        if len(given) != 1:
            raise ValueError("expected exactly one of jql, project, group")
        return self


class WorkingHours(_Model):
    start: time = time(9, 0)
    end: time = time(19, 0)


class CalendarConfig(_Model):
    country: str | None = Field(
        default=None,
        description="ISO country code for public holidays (e.g. RU), none = weekends only.",
    )
    timezone: str = Field(default="UTC", description="Team's IANA time zone.")
    weekend: tuple[int, ...] = Field(default=(5, 6), description="Weekday numbers, Monday = 0.")
    working_hours: WorkingHours = WorkingHours()

    _tz = field_validator("timezone")(classmethod(lambda cls, v: _check_zone(v)))

    @field_validator("country")
    @classmethod
    def _known_country(cls, value: str | None) -> str | None:
        if value is None:
            return value
        import holidays  # a large table: only when a country is configured

        supported = holidays.list_supported_countries()
        if value.upper() not in supported:
            raise ValueError(
                f"no public holidays known for {value!r}; expected an ISO code such as RU, DE, US"
            )
        return value.upper()

    @field_validator("weekend")
    @classmethod
    def _weekdays(cls, value: tuple[int, ...]) -> tuple[int, ...]:
        if any(d not in range(7) for d in value):
            raise ValueError("weekday numbers run from 0 (Monday) to 6 (Sunday)")
        if len(set(value)) == 7:
            raise ValueError("at least one day of the week must be a workday")
        return value

    @model_validator(mode="after")
    def _hours(self) -> CalendarConfig:
        if self.working_hours.start >= self.working_hours.end:
            raise ValueError("working_hours: start must be before end (e.g. 09:00 to 19:00)")
        return self


class SourceConfig(_Model):
    name: str = Field(
        pattern=r"^[a-z0-9][a-z0-9_-]*$", description="Short id used in logs and state."
    )
    type: Literal["jira", "gitlab"]
    url: Annotated[
        str,
        without_credentials(
            "give the token in the environment variable named by auth.secret (and a Jira "
            "Cloud account's e-mail in auth.user)"
        ),
    ] = Field(pattern=r"^https?://", description="Base URL of the tracker.")
    flavour: Literal["auto", "cloud", "datacenter"] = Field(
        default="auto", description="Jira only: detected from serverInfo when auto."
    )
    auth: AuthConfig
    scope: SourceScope
    poll_interval: PollSeconds = Field(
        default=300.0, description="Seconds between polls ('5m' ok)."
    )
    enforce: bool = Field(
        default=False,
        description="Post reminders. False = report-only (findings and digests, no comments): "
        "the safe default for a new source until someone confirms.",
    )
    language: Literal["ru", "en"] = Field(default="en", description="Language of reminders.")
    calendar: CalendarConfig = CalendarConfig()
    start_date_field: str | None = Field(
        default="Start date", description="Jira: name of the start-date custom field."
    )
    doing_labels: tuple[str, ...] = Field(
        default=("Doing",), description="GitLab: labels meaning work has started."
    )
    scope_sweep_every: PollSeconds = Field(
        default=6 * 3600.0,
        description="How often to list the open tasks in scope (one cheap listing) and forget "
        "stored ones that were deleted, moved or left the scope ('6h').",
    )
    backfill_done_days: int | None = Field(
        default=62,
        ge=1,
        description="Jira: a full sync (the first, or after a scope change) reads the open "
        "tasks and the done ones updated within this many days — what digests look back on "
        "(done since the last digest, last month's report); null reads every done task ever. "
        "Later syncs read every change, done tasks included.",
    )
    sync_overlap: OverlapSeconds = Field(
        default=120.0,
        description="Jira: how far before the last change each poll searches again, to cover "
        "search-index lag and clock differences ('2m'); re-read issues are skipped.",
    )
    max_actions_per_cycle: int = Field(
        default=30, ge=0, description="Storm guard: reminders posted per cycle; the rest wait."
    )
    notes_per_minute: int = Field(default=60, ge=1, description="GitLab note-creation budget.")
    thank_when_fixed: bool = Field(
        default=False,
        description="When every finding syncd reminded about on a task is fixed, say a short "
        "thank-you on the task (working hours only; no mention).",
    )
    rule_docs_url: Annotated[str, without_credentials("the link is shown to everyone")] | None = (
        Field(
            default=None,
            pattern=r"^https?://",
            description="Link added to each reminder item: the team's page about the rule; "
            "'{rule}' is replaced by the rule name (e.g. https://wiki.agency.example/syncd#{rule}).",
        )
    )
    remind_min_severity: Literal["info", "warning", "error"] = Field(
        default="info",
        description="Findings below this severity appear in digests and `syncd check` but "
        "never cause a comment on the task (e.g. 'warning' keeps due-soon out of comments).",
    )
    bot_accounts: tuple[str, ...] = Field(
        default=(),
        description="Other automation accounts (Jira Automation, CI bots): their comments and "
        "changes never count as a person's activity or checkpoint. Jira accountId/username, "
        "GitLab user id.",
    )
    section_aliases: dict[str, tuple[str, ...]] = Field(
        default_factory=dict,
        description="More headings naming a section, added to the built-in Russian and "
        "English ones, e.g. {goal: [Бизнес-цель], acceptance: [Чек-лист]}.",
    )
    reminder_cooldown: CooldownSeconds = Field(
        default=3 * 86400.0,
        description="A fixed finding that comes back is reminded about again only after this "
        "long since the last reminder ('3d', '12h').",
    )
    labels_on_finding: bool = Field(
        default=False, description="Add a syncd label to tasks with open findings."
    )
    client: str | None = Field(default=None, description="Default client name for its projects.")

    @model_validator(mode="after")
    def _scope_fits_type(self) -> SourceConfig:
        if self.type == "jira" and not self.scope.jql:
            raise ValueError("a jira source needs scope.jql")
        if self.type == "gitlab" and not (self.scope.project or self.scope.group):
            raise ValueError("a gitlab source needs scope.project or scope.group")
        kinds = {"jira": ("basic", "bearer"), "gitlab": ("private_token", "bearer")}[self.type]
        if self.auth.kind not in kinds:
            raise ValueError(
                f"a {self.type} source takes auth.kind {' or '.join(kinds)}, not {self.auth.kind}"
            )
        return self


StatusName = Literal["new", "in_progress", "done"]


class RuleScope(_Model):
    """Where a rule applies; empty lists mean "everywhere"."""

    sources: tuple[str, ...] = ()
    projects: tuple[str, ...] = ()
    issue_types: tuple[str, ...] = ()
    labels: tuple[str, ...] = ()
    components: tuple[str, ...] = ()
    status_categories: tuple[StatusName, ...] = ("new", "in_progress")


class RuleConfig(_Model):
    rule: str = Field(description="Rule name, e.g. required-sections, checkpoint, overdue.")
    enabled: bool = True
    severity: Literal["info", "warning", "error"] | None = Field(
        default=None, description="Override the rule's default severity."
    )
    params: dict[str, Any] = Field(default_factory=dict, description="Rule parameters.")
    scope: RuleScope = RuleScope()


class OwnedScope(_Model):
    source: str
    projects: tuple[str, ...] = Field(
        default=(), description="Empty = every project of the source."
    )


ChannelType = Literal["slack", "teams", "mattermost", "telegram", "webhook", "email"]


class ChannelConfig(_Model):
    """Where a manager's digest goes. URLs and tokens are secrets, referenced by name."""

    type: ChannelType
    url_secret: EnvName | None = Field(
        default=None,
        description="Env var holding the webhook URL (slack/teams/mattermost/webhook).",
    )
    bot_token_secret: EnvName | None = Field(
        default=None, description="Telegram: env var with the bot token."
    )
    chat_id: str | None = Field(default=None, description="Telegram chat id.")
    to: tuple[str, ...] = Field(default=(), description="E-mail recipients.")
    smtp_host: str | None = None
    smtp_port: int = 587
    smtp_security: Literal["starttls", "ssl", "none"] = "starttls"
    smtp_user: str | None = None
    smtp_password_secret: EnvName | None = None
    smtp_allow_plaintext_password: bool = Field(
        default=False,
        description="With smtp_security none: allow sending the password unencrypted (only "
        "to a relay on the same host or a trusted private network).",
    )
    sender: str | None = Field(default=None, description="E-mail From address.")
    smtp_ca_file: str | None = Field(
        default=None,
        description="PEM file of the CA that signed the SMTP server's certificate (a private "
        "CA); default: the system's trust store.",
    )
    api_base: Annotated[
        str, without_credentials("the bot token goes in the variable bot_token_secret names")
    ] = Field(
        default="https://api.telegram.org",
        pattern=r"^https?://",
        description="Telegram: Bot API base URL (a local Bot API server or a test double).",
    )
    timeout: TimeoutSeconds = Field(default=10.0, description="Seconds per HTTP/SMTP request.")

    @model_validator(mode="after")
    def _needs(self) -> ChannelConfig:
        needs: dict[str, tuple[str, ...]] = {
            "slack": ("url_secret",),
            "teams": ("url_secret",),
            "mattermost": ("url_secret",),
            "webhook": ("url_secret",),
            "telegram": ("bot_token_secret", "chat_id"),
            "email": ("to", "smtp_host", "sender"),
        }
        missing = [k for k in needs[self.type] if not getattr(self, k)]
        if missing:
            raise ValueError(f"a {self.type} channel needs {', '.join(missing)}")
        if (
            self.type == "email"
            and self.smtp_security == "none"
            and self.smtp_password_secret
            and not self.smtp_allow_plaintext_password
        ):
            raise ValueError(
                "smtp_security none would send the SMTP password unencrypted: use starttls "
                "or ssl, or set smtp_allow_plaintext_password: true for a relay on the same "
                "host or a trusted private network"
            )
        return self


class DigestSchedules(_Model):
    """Cron expressions in the manager's time zone; null switches a digest off."""

    daily: str | None = Field(
        default="0 9 * * *",
        description="Every day at 09:00 by default: the business calendar decides which days "
        "count, so Russia's transferred working Saturdays get a digest and holidays do not.",
    )
    weekly: str | None = "0 9 * * 1"
    monthly: str | None = Field(
        default="0 9 1-7 * *",
        description="Checked against the first business day of the month.",
    )
    send_empty: bool = Field(default=True, description="Send a one-line digest when all is well.")

    @model_validator(mode="before")
    @classmethod
    def _no_own_horizon(cls, data: Any) -> Any:
        # The digest once had its own "due soon" horizon (another default than the rule's):
        # it listed tasks the rule did not flag. Refused with the way out, never ignored.
        if isinstance(data, dict) and "due_soon_days" in data:
            raise ValueError(
                "due_soon_days was removed: the digest's 'due soon' is the due-soon rule's "
                "horizon; set it once under rules (- rule: due-soon, params: {days: N})"
            )
        return data

    @field_validator("daily", "weekly", "monthly")
    @classmethod
    def _cron(cls, value: str | None) -> str | None:
        # Checked on load, so `syncd config validate` names the file, line and field
        # instead of the daemon failing at the first digest tick.
        if value is not None and not croniter.is_valid(value):
            raise ValueError(
                f"{value!r} is not a cron expression (expected five fields such as '0 9 * * 1-5')"
            )
        return value


class ManagerConfig(_Model):
    name: str
    timezone: str = "UTC"
    language: Literal["ru", "en"] = "en"
    owns: tuple[OwnedScope, ...] = Field(min_length=1)
    channels: tuple[ChannelConfig, ...] = ()
    schedules: DigestSchedules = DigestSchedules()
    calendar: CalendarConfig | None = Field(
        default=None,
        description="Business days for this manager's digests; default: the calendar of "
        "the first source they own (the manager's own timezone still decides the day).",
    )

    _tz = field_validator("timezone")(classmethod(lambda cls, v: _check_zone(v)))


class Policy(_Model):
    """The whole policy file."""

    version: Literal[1] = 1
    sources: tuple[SourceConfig, ...] = Field(min_length=1)
    rules: tuple[RuleConfig, ...] = ()
    exempt_labels: tuple[str, ...] = Field(
        default=("no-syncd",), description="Tasks with any of these labels are never flagged."
    )
    managers: tuple[ManagerConfig, ...] = ()
    clients: dict[str, str] = Field(
        default_factory=dict, description="Project key/path → client name, for digests."
    )

    @model_validator(mode="after")
    def _references(self) -> Policy:
        names = [s.name for s in self.sources]
        dupes = {n for n in names if names.count(n) > 1}
        if dupes:
            raise ValueError(f"source names must be unique; repeated: {', '.join(sorted(dupes))}")
        for manager in self.managers:
            for owned in manager.owns:
                if owned.source not in names:
                    raise ValueError(
                        f"manager {manager.name!r} owns unknown source {owned.source!r}; "
                        f"known: {', '.join(names)}"
                    )
        return self

    def source(self, name: str) -> SourceConfig:
        for source in self.sources:
            if source.name == name:
                return source
        raise KeyError(name)
