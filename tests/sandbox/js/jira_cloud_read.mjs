// A second, independent Jira client (jira.js, from npm) reading the sandbox Jira Cloud.
// Usage: node jira_cloud_read.mjs <node_modules dir> <base url> <email> <api token>
// Prints one JSON object on stdout. Every response is checked against jira.js's own schemas
// (onSchemaMismatch: 'throw'), so a sandbox answer the real client would not accept fails here.
import { pathToFileURL } from 'node:url';
import path from 'node:path';

const [modules, host, email, apiToken] = process.argv.slice(2);
const { createCloudClient } = await import(pathToFileURL(path.join(modules, 'jira.js', 'dist', 'index.js')).href);

const jira = createCloudClient({
  host,
  auth: { type: 'basic', email, apiToken },
  onSchemaMismatch: 'throw',
});

const me = await jira.myself.getCurrentUser();
const info = await jira.serverInfo.getServerInfo();

// Enhanced JQL search (GET), following nextPageToken with a small page size.
const jql = 'project in (SHOP, NOVA) ORDER BY key ASC';
const fields = ['summary', 'assignee', 'duedate', 'description', 'status'];
const issues = [];
let pages = 0;
let nextPageToken;
do {
  const page = await jira.issueSearch.searchAndReconsileIssuesUsingJql({ jql, fields, maxResults: 2, nextPageToken });
  pages += 1;
  issues.push(...page.issues);
  nextPageToken = page.nextPageToken;
} while (nextPageToken);

// The POST variant, one page.
const posted = await jira.issueSearch.searchAndReconsileIssuesUsingJqlPost({ jql: 'project = NOVA', fields: ['summary'], maxResults: 50 });

// Comments, paged one at a time.
const result = [];
for (const issue of issues) {
  const comments = [];
  let startAt = 0;
  for (;;) {
    const page = await jira.issueComments.getComments({ issueIdOrKey: issue.key, startAt, maxResults: 1, orderBy: 'created' });
    comments.push(...page.comments.map(c => ({ author: c.author?.accountId, body: JSON.stringify(c.body) })));
    startAt += page.comments.length;
    if (page.comments.length === 0 || startAt >= page.total) break;
  }
  result.push({
    key: issue.key,
    summary: issue.fields.summary,
    assignee: issue.fields.assignee ? issue.fields.assignee.accountId : null,
    duedate: issue.fields.duedate ?? null,
    status: issue.fields.status.statusCategory.key,
    description: JSON.stringify(issue.fields.description ?? null),
    comments,
  });
}

const added = await jira.issueComments.addComment({
  issueIdOrKey: 'SHOP-2',
  body: { type: 'doc', version: 1, content: [{ type: 'paragraph', content: [{ type: 'text', text: 'from jira.js' }] }] },
  properties: [{ key: 'syncd', value: { marker: 'syncd:js' } }],
});
const property = await jira.issueCommentProperties.getCommentProperty({ commentId: added.id, propertyKey: 'syncd' });

// jira.js posts a plain-string body through v2 (wiki) and reads the comment back through v3.
const plain = await jira.issueComments.addComment({ issueIdOrKey: 'SHOP-2', body: 'plain *string*' });

process.stdout.write(JSON.stringify({
  accountId: me.accountId,
  timeZone: me.timeZone,
  deploymentType: info.deploymentType,
  pages,
  posted: posted.issues.map(i => i.key),
  issues: result,
  added: { id: added.id, author: added.author?.accountId },
  property: property.value,
  plain: plain.body,
}));
