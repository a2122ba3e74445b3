"""A store already at the newest schema opens with one SELECT: the version the code names
is the newest migration's, and Alembic is not imported for it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from alembic.script import ScriptDirectory

from syncd.store import open_store
from syncd.store.migrate import SCHEMA_HEAD, alembic_config

OPEN_AND_LIST = """
import sys
from syncd.store import open_store
open_store(sys.argv[1]).close()
print(sorted(m for m in sys.modules if m.split(".")[0] == "alembic"))
"""


def test_schema_head_is_the_newest_migration() -> None:
    assert ScriptDirectory.from_config(alembic_config()).get_current_head() == SCHEMA_HEAD


def test_a_store_at_the_newest_schema_opens_without_alembic(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'state.db'}"

    def imported() -> str:
        argv = [sys.executable, "-c", OPEN_AND_LIST, url]
        return subprocess.run(argv, check=True, capture_output=True, text=True).stdout.strip()

    assert imported() != "[]"  # a new file: migrated, by Alembic
    with open_store(url) as store:
        assert store.schema_version() == SCHEMA_HEAD
    assert imported() == "[]"
