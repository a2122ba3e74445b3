"""syncd configuration: process settings (``SYNCD_*`` environment) and the YAML policy file."""

from config.loader import load_policy, load_policy_text, policy_json_schema
from config.policy import (
    ChannelConfig,
    ManagerConfig,
    Policy,
    RuleConfig,
    RuleScope,
    SourceConfig,
)
from config.settings import Settings, resolve_secret

__all__ = [
    "ChannelConfig",
    "ManagerConfig",
    "Policy",
    "RuleConfig",
    "RuleScope",
    "Settings",
    "SourceConfig",
    "load_policy",
    "load_policy_text",
    "policy_json_schema",
    "resolve_secret",
]
