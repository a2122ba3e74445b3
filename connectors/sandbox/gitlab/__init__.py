"""The sandbox GitLab (REST v4)."""
