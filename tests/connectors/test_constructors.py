"""Both connectors are built the same way (``connectors.base``): the source, its token,
``retry`` and ``timeout``; a source of the other tracker type is a configuration mistake
(``ConfigError``, exit 2 from every command), raised before any request."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import SecretStr

from config.policy import Policy, SourceConfig
from connectors.gitlab import GitLabConnector
from connectors.http.retry import RetryPolicy
from connectors.jira import JiraConnector
from syncd.core.errors import ConfigError

POLICY = Policy.model_validate(
    {
        "sources": [
            {"name": "j", "type": "jira", "url": "http://127.0.0.1:9",
             "auth": {"kind": "bearer", "secret": "T"}, "scope": {"jql": "project = SHOP"}},
            {"name": "g", "type": "gitlab", "url": "http://127.0.0.1:9",
             "auth": {"kind": "private_token", "secret": "T"}, "scope": {"group": "agency"}},
        ]
    }
)  # fmt: skip
JIRA, GITLAB = POLICY.sources
TOKEN = SecretStr("token")


@pytest.mark.parametrize(
    ("cls", "source"), [(JiraConnector, JIRA), (GitLabConnector, GITLAB)], ids=["jira", "gitlab"]
)
def test_one_constructor_shape(cls: Any, source: SourceConfig) -> None:
    connector = cls(source, TOKEN, retry=RetryPolicy(max_attempts=1), timeout=(1.0, 1.0))
    try:
        assert connector.source == source.name
    finally:
        connector.close()


@pytest.mark.parametrize(
    ("cls", "source"), [(JiraConnector, GITLAB), (GitLabConnector, JIRA)], ids=["jira", "gitlab"]
)
def test_a_source_of_the_other_type_is_a_configuration_error(
    cls: Any, source: SourceConfig
) -> None:
    with pytest.raises(ConfigError, match=f"source '{source.name}' is not a"):
        cls(source, TOKEN)
