// Reads the sandbox GitLab with @gitbeaker/rest, a client nobody here wrote, and prints what
// it saw as JSON: the current user, every issue of the group (offset pages of 2, followed by
// gitbeaker itself), the first page's pagination info, the project's issues through keyset
// paging, and each issue's notes (oldest first, pages of 2).
// Usage: node gitbeaker_read.cjs <dir holding node_modules/@gitbeaker> <sandbox url> <token>
"use strict";
async function main() {
  const [install, host, token] = process.argv.slice(2);
  const { Gitlab } = require(require.resolve("@gitbeaker/rest", { paths: [install] }));
  const api = new Gitlab({ host, token });
  const me = await api.Users.showCurrentUser();
  const first = await api.Issues.all({ groupId: "agency", perPage: 2, maxPages: 1, showExpanded: true });
  const issues = await api.Issues.all({ groupId: "agency", perPage: 2, orderBy: "updated_at", sort: "asc" });
  const keyset = await api.Issues.all({
    projectId: "agency/shop", pagination: "keyset", orderBy: "updated_at", sort: "asc", perPage: 1,
  });
  const out = { user: me.username, firstPage: first.paginationInfo, issues: [], keyset: keyset.map((i) => i.iid) };
  for (const issue of issues) {
    const notes = await api.IssueNotes.all(issue.project_id, issue.iid, { sort: "asc", orderBy: "created_at", perPage: 2 });
    out.issues.push({
      ref: issue.references.full,
      title: issue.title,
      state: issue.state,
      labels: issue.labels,
      due: issue.due_date,
      assignees: issue.assignees.map((a) => a.username),
      notes: notes.filter((n) => !n.system).map((n) => ({ author: n.author.username, body: n.body, internal: n.internal })),
    });
  }
  process.stdout.write(JSON.stringify(out));
}

main().catch((err) => {
  process.stderr.write(String((err && err.stack) || err) + "\n");
  process.exit(1);
});
