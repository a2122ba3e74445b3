"""The sandbox Jira (Cloud v3 and Data Center v2 flavours)."""
