"""A snapshot written without its content digest clears the digest.

During a rolling upgrade a replica still running code from before 0005 shares the
PostgreSQL store with the upgraded ones: it rewrites ``tasks.snapshot`` but knows nothing
of ``tasks.content``, so the kept result of the changed task would still match and its old
findings be reused. This trigger sets ``content`` to NULL when ``snapshot`` changes and
``content`` does not; a task without content is evaluated every cycle (and not kept) until
current code writes it again. Current code always writes both, so it never fires for it.

Revision ID: 0006
Revises: 0005
"""

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

_PG_FUNCTION = """
CREATE FUNCTION syncd_tasks_content_guard() RETURNS trigger AS $$
BEGIN
    IF NEW.snapshot IS DISTINCT FROM OLD.snapshot
       AND NEW.content IS NOT DISTINCT FROM OLD.content THEN
        NEW.content := NULL;
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql
"""
_PG_TRIGGER = """
CREATE TRIGGER tasks_content_guard BEFORE UPDATE ON tasks
FOR EACH ROW EXECUTE FUNCTION syncd_tasks_content_guard()
"""
_SQLITE_TRIGGER = """
CREATE TRIGGER tasks_content_guard AFTER UPDATE OF snapshot ON tasks
FOR EACH ROW WHEN NEW.snapshot IS NOT OLD.snapshot AND NEW.content IS OLD.content
BEGIN
    UPDATE tasks SET content = NULL WHERE source = NEW.source AND key = NEW.key;
END
"""


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_PG_FUNCTION)
        op.execute(_PG_TRIGGER)
    else:
        op.execute(_SQLITE_TRIGGER)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS tasks_content_guard ON tasks")
        op.execute("DROP FUNCTION IF EXISTS syncd_tasks_content_guard()")
    else:
        op.execute("DROP TRIGGER IF EXISTS tasks_content_guard")
