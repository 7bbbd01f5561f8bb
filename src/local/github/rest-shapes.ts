// REST answers of the local GitHub in GitHub's real shapes (checked against @octokit/openapi's
// description of api.github.com by test/github/schema-conformance.test.ts): the same fields,
// nullability and URL templates, so code written against the local server reads github.com.
import { createHash } from "node:crypto";
import type { Commit, FileChange } from "../../../supabase/functions/_shared/detection/records.ts";
import type { LocalNotes, LocalPullRequest, LocalRepository, LocalReview, LocalTreeEntry, LocalUser } from "./dataset.ts";
import { stableInt, utc } from "./dataset.ts";

const WEB = "https://github.com";

function nodeId(prefix: string, key: string | number): string {
  return `${prefix}_${createHash("sha1").update(String(key)).digest("base64url").slice(0, 16)}`;
}

function blobSha(commit: string, path: string): string {
  return createHash("sha1").update(`${commit}:${path}`).digest("hex");
}

export function simpleUser(api: string, u: LocalUser) {
  const url = `${api}/users/${u.login}`;
  return {
    login: u.login,
    id: u.id,
    node_id: nodeId(u.type === "Bot" ? "BOT" : "U", u.id),
    avatar_url: `https://avatars.githubusercontent.com/u/${u.id}?v=4`,
    gravatar_id: "",
    url,
    html_url: u.type === "Bot" ? `${WEB}/apps/${u.login.replace(/\[bot\]$/, "")}` : `${WEB}/${u.login}`,
    followers_url: `${url}/followers`,
    following_url: `${url}/following{/other_user}`,
    gists_url: `${url}/gists{/gist_id}`,
    starred_url: `${url}/starred{/owner}{/repo}`,
    subscriptions_url: `${url}/subscriptions`,
    organizations_url: `${url}/orgs`,
    repos_url: `${url}/repos`,
    events_url: `${url}/events{/privacy}`,
    received_events_url: `${url}/received_events`,
    type: u.type,
    user_view_type: "public",
    site_admin: false,
  };
}

function ownerUser(repo: LocalRepository): LocalUser {
  return { login: repo.owner, id: 1_000_000 + stableInt(repo.owner, 8_000_000), type: "User" };
}

export function repositoryJson(api: string, repo: LocalRepository) {
  const full = `${repo.owner}/${repo.name}`;
  const url = `${api}/repos/${full}`;
  const pushed = repo.commits[0] ? utc(repo.commits[0].committed_at) : repo.created_at;
  return {
    id: repo.id,
    node_id: nodeId("R", repo.id),
    name: repo.name,
    full_name: full,
    private: false,
    owner: simpleUser(api, ownerUser(repo)),
    html_url: `${WEB}/${full}`,
    description: `Local copy of ${full} built from ../shared/data`,
    fork: false,
    url,
    archive_url: `${url}/{archive_format}{/ref}`,
    assignees_url: `${url}/assignees{/user}`,
    blobs_url: `${url}/git/blobs{/sha}`,
    branches_url: `${url}/branches{/branch}`,
    collaborators_url: `${url}/collaborators{/collaborator}`,
    comments_url: `${url}/comments{/number}`,
    commits_url: `${url}/commits{/sha}`,
    compare_url: `${url}/compare/{base}...{head}`,
    contents_url: `${url}/contents/{+path}`,
    contributors_url: `${url}/contributors`,
    deployments_url: `${url}/deployments`,
    downloads_url: `${url}/downloads`,
    events_url: `${url}/events`,
    forks_url: `${url}/forks`,
    git_commits_url: `${url}/git/commits{/sha}`,
    git_refs_url: `${url}/git/refs{/sha}`,
    git_tags_url: `${url}/git/tags{/sha}`,
    git_url: `git://github.com/${full}.git`,
    issue_comment_url: `${url}/issues/comments{/number}`,
    issue_events_url: `${url}/issues/events{/number}`,
    issues_url: `${url}/issues{/number}`,
    keys_url: `${url}/keys{/key_id}`,
    labels_url: `${url}/labels{/name}`,
    languages_url: `${url}/languages`,
    merges_url: `${url}/merges`,
    milestones_url: `${url}/milestones{/number}`,
    notifications_url: `${url}/notifications{?since,all,participating}`,
    pulls_url: `${url}/pulls{/number}`,
    releases_url: `${url}/releases{/id}`,
    ssh_url: `git@github.com:${full}.git`,
    stargazers_url: `${url}/stargazers`,
    statuses_url: `${url}/statuses/{sha}`,
    subscribers_url: `${url}/subscribers`,
    subscription_url: `${url}/subscription`,
    tags_url: `${url}/tags`,
    teams_url: `${url}/teams`,
    trees_url: `${url}/git/trees{/sha}`,
    clone_url: `${WEB}/${full}.git`,
    mirror_url: null,
    hooks_url: `${url}/hooks`,
    svn_url: `${WEB}/${full}`,
    homepage: null,
    language: null,
    forks_count: 0,
    forks: 0,
    stargazers_count: 0,
    watchers_count: 0,
    watchers: 0,
    size: repo.commits.length,
    default_branch: repo.default_branch,
    open_issues_count: 0,
    open_issues: 0,
    is_template: false,
    topics: [],
    has_issues: true,
    has_projects: false,
    has_wiki: false,
    has_pages: false,
    has_downloads: true,
    has_discussions: false,
    archived: false,
    disabled: false,
    visibility: "public",
    pushed_at: pushed,
    created_at: repo.created_at,
    updated_at: pushed,
    license: null,
    allow_forking: true,
    web_commit_signoff_required: false,
    network_count: 0,
    subscribers_count: 0,
  };
}

function labelJson(api: string, repo: LocalRepository, name: string) {
  const id = 3_000_000_000 + stableInt(`${repo.id}:${name}`, 1_000_000_000);
  return { id, node_id: nodeId("LA", id), url: `${api}/repos/${repo.owner}/${repo.name}/labels/${encodeURIComponent(name)}`, name, description: "", color: "ededed", default: false };
}

function branchJson(api: string, repo: LocalRepository, ref: string, sha: string, user: LocalUser) {
  return { label: `${repo.owner}:${ref}`, ref, sha, user: simpleUser(api, user), repo: repositoryJson(api, repo) };
}

/** pull-request-simple: what GET /repos/{o}/{r}/pulls lists. */
export function pullRequestSimple(api: string, repo: LocalRepository, pr: LocalPullRequest) {
  const full = `${repo.owner}/${repo.name}`;
  const url = `${api}/repos/${full}/pulls/${pr.number}`;
  const issue = `${api}/repos/${full}/issues/${pr.number}`;
  const html = `${WEB}/${full}/pull/${pr.number}`;
  const head = pr.commits[pr.commits.length - 1]?.sha ?? pr.merge_commit_sha ?? "";
  const base = pr.commits[0]?.parents[0] ?? "";
  const statuses = `${api}/repos/${full}/statuses/${head}`;
  return {
    url,
    id: pr.id,
    node_id: nodeId("PR", pr.id),
    html_url: html,
    diff_url: `${html}.diff`,
    patch_url: `${html}.patch`,
    issue_url: issue,
    commits_url: `${url}/commits`,
    review_comments_url: `${url}/comments`,
    review_comment_url: `${api}/repos/${full}/pulls/comments{/number}`,
    comments_url: `${issue}/comments`,
    statuses_url: statuses,
    number: pr.number,
    state: pr.state,
    locked: false,
    title: pr.title,
    user: simpleUser(api, pr.user),
    body: pr.body || null,
    labels: pr.labels.map((l) => labelJson(api, repo, l)),
    milestone: null,
    active_lock_reason: null,
    created_at: pr.created_at,
    updated_at: pr.updated_at,
    closed_at: pr.closed_at,
    merged_at: pr.merged_at,
    merge_commit_sha: pr.merge_commit_sha,
    assignee: null,
    assignees: [],
    requested_reviewers: [],
    requested_teams: [],
    head: branchJson(api, repo, pr.head_ref, head, pr.user),
    base: branchJson(api, repo, pr.base_ref, base, ownerUser(repo)),
    _links: {
      self: { href: url },
      html: { href: html },
      issue: { href: issue },
      comments: { href: `${issue}/comments` },
      review_comments: { href: `${url}/comments` },
      review_comment: { href: `${api}/repos/${full}/pulls/comments{/number}` },
      commits: { href: `${url}/commits` },
      statuses: { href: statuses },
    },
    author_association: "CONTRIBUTOR",
    auto_merge: null,
    draft: false,
  };
}

/** A Git identity, with the committer's own offset kept as the data set recorded it. */
function gitUser(name: string, email: string, date: string) {
  return { name, email, date: utc(date) };
}

/** The account GitHub links a commit identity to (noreply addresses only; others stay null). */
function linkedUser(api: string, email: string) {
  const m = /^(\d+)\+([^@]+)@users\.noreply\.github\.com$/i.exec(email);
  if (!m) return null;
  const login = m[2];
  return simpleUser(api, { login, id: Number(m[1]), type: login.endsWith("[bot]") || login === "Copilot" ? "Bot" : "User" });
}

/** The commit object of GET /repos/{o}/{r}/commits (list: `files` omitted) and /commits/{ref}. */
export function commitJson(api: string, repo: LocalRepository, c: Commit, files?: FileChange[], filesPage?: FileChange[]) {
  const full = `${repo.owner}/${repo.name}`;
  const url = `${api}/repos/${full}/commits/${c.sha}`;
  const tree = createHash("sha1").update(`tree:${c.sha}`).digest("hex");
  const out: Record<string, unknown> = {
    sha: c.sha,
    node_id: nodeId("C", c.sha),
    commit: {
      author: gitUser(c.author_name, c.author_email, c.authored_at),
      committer: gitUser(c.committer_name, c.committer_email, c.committed_at),
      message: c.message,
      tree: { sha: tree, url: `${api}/repos/${full}/git/trees/${tree}` },
      url: `${api}/repos/${full}/git/commits/${c.sha}`,
      comment_count: 0,
      verification: { verified: false, reason: "unsigned", signature: null, payload: null, verified_at: null },
    },
    url,
    html_url: `${WEB}/${full}/commit/${c.sha}`,
    comments_url: `${url}/comments`,
    author: linkedUser(api, c.author_email),
    committer: linkedUser(api, c.committer_email),
    parents: c.parents.map((p) => ({ sha: p, url: `${api}/repos/${full}/commits/${p}`, html_url: `${WEB}/${full}/commit/${p}` })),
  };
  if (files) {
    const additions = files.reduce((n, f) => n + (f.added ?? 0), 0);
    const deletions = files.reduce((n, f) => n + (f.deleted ?? 0), 0);
    out.stats = { total: additions + deletions, additions, deletions };
    out.files = (filesPage ?? files).map((f) => diffEntry(api, repo, c.sha, f));
  }
  return out;
}

/** diff-entry: one file of a commit or a PR. Binary files count 0 lines, as on GitHub. */
export function diffEntry(api: string, repo: LocalRepository, ref: string, f: FileChange) {
  const full = `${repo.owner}/${repo.name}`;
  const added = f.added ?? 0;
  const deleted = f.deleted ?? 0;
  const path = f.path.split("/").map(encodeURIComponent).join("/");
  const entry: Record<string, unknown> = {
    sha: blobSha(ref, f.path),
    filename: f.path,
    status: f.old_path ? "renamed" : "modified",
    additions: added,
    deletions: deleted,
    changes: added + deleted,
    blob_url: `${WEB}/${full}/blob/${ref}/${path}`,
    raw_url: `${WEB}/${full}/raw/${ref}/${path}`,
    contents_url: `${api}/repos/${full}/contents/${path}?ref=${ref}`,
  };
  if (f.old_path) entry.previous_filename = f.old_path;
  return entry;
}

export function reviewJson(api: string, repo: LocalRepository, pr: LocalPullRequest, r: LocalReview) {
  const full = `${repo.owner}/${repo.name}`;
  const html = `${WEB}/${full}/pull/${pr.number}#pullrequestreview-${r.id}`;
  return {
    id: r.id,
    node_id: nodeId("PRR", r.id),
    user: simpleUser(api, r.user),
    body: r.body,
    state: r.state,
    html_url: html,
    pull_request_url: `${api}/repos/${full}/pulls/${pr.number}`,
    author_association: r.user.type === "Bot" ? "NONE" : "MEMBER",
    _links: { html: { href: html }, pull_request: { href: `${api}/repos/${full}/pulls/${pr.number}` } },
    submitted_at: r.submitted_at,
    commit_id: r.commit_id,
  };
}

/** git-ref: GET /repos/{o}/{r}/git/ref/{ref} (and each item of git/matching-refs). */
export function gitRefJson(api: string, repo: LocalRepository, notes: LocalNotes) {
  const full = `${repo.owner}/${repo.name}`;
  const target = notes.refTarget ?? { type: "commit", sha: notes.commitSha };
  const kind = target.type === "commit" ? "commits" : target.type === "tree" ? "trees" : "blobs";
  return {
    ref: notes.ref,
    node_id: nodeId("REF", `${full}:${notes.ref}`),
    url: `${api}/repos/${full}/git/${notes.ref}`,
    object: { type: target.type, sha: target.sha, url: `${api}/repos/${full}/git/${kind}/${target.sha}` },
  };
}

/** git-commit: GET /repos/{o}/{r}/git/commits/{sha} of the notes commit. */
export function gitCommitJson(api: string, repo: LocalRepository, notes: LocalNotes) {
  const full = `${repo.owner}/${repo.name}`;
  const who = { name: "git-ai", email: "git-ai@localhost", date: utc(notes.committedAt) };
  return {
    sha: notes.commitSha,
    node_id: nodeId("C", notes.commitSha),
    url: `${api}/repos/${full}/git/commits/${notes.commitSha}`,
    html_url: `${WEB}/${full}/commit/${notes.commitSha}`,
    author: who,
    committer: who,
    message: "Notes added by 'git notes add'",
    tree: { sha: notes.treeSha, url: `${api}/repos/${full}/git/trees/${notes.treeSha}` },
    parents: notes.parentSha ? [{ sha: notes.parentSha, url: `${api}/repos/${full}/git/commits/${notes.parentSha}`, html_url: `${WEB}/${full}/commit/${notes.parentSha}` }] : [],
    verification: { verified: false, reason: "unsigned", signature: null, payload: null, verified_at: null },
  };
}

/**
 * git-tree: GET /repos/{o}/{r}/git/trees/{sha}[?recursive=1]. Recursive: every entry under the tree,
 * directories too, with their paths from it; `truncated` when notes.truncateRecursive says to cut
 * it (GitHub does past 100,000 entries or 7 MB), keeping the directories and half of the blobs.
 */
export function gitTreeJson(api: string, repo: LocalRepository, notes: LocalNotes, sha: string, recursive: boolean) {
  const full = `${repo.owner}/${repo.name}`;
  const entry = (e: LocalTreeEntry, path: string) => ({
    path,
    mode: e.mode,
    type: e.type,
    sha: e.sha,
    ...(e.type === "blob" ? { size: e.size ?? 0, url: `${api}/repos/${full}/git/blobs/${e.sha}` } : { url: `${api}/repos/${full}/git/trees/${e.sha}` }),
  });
  const entries = notes.trees.get(sha)!;
  let tree = entries.map((e) => entry(e, e.path));
  let truncated = false;
  if (recursive) {
    tree = [];
    for (const e of entries) {
      tree.push(entry(e, e.path));
      if (e.type === "tree") for (const sub of notes.trees.get(e.sha) ?? []) tree.push(entry(sub, `${e.path}/${sub.path}`));
    }
    if (notes.truncateRecursive) {
      truncated = true;
      let keep = true;
      tree = tree.filter((e) => e.type === "tree" || (keep = !keep));
    }
  }
  return { sha, url: `${api}/repos/${full}/git/trees/${sha}`, tree, truncated };
}

/** blob: GET /repos/{o}/{r}/git/blobs/{sha}: base64 in lines of 60 characters, as GitHub sends it. */
export function gitBlobJson(api: string, repo: LocalRepository, sha: string, text: string) {
  const full = `${repo.owner}/${repo.name}`;
  const bytes = Buffer.from(text, "utf8");
  const base64 = bytes.toString("base64").replace(/.{60}/g, "$&\n");
  return { sha, node_id: nodeId("B", sha), size: bytes.length, url: `${api}/repos/${full}/git/blobs/${sha}`, content: base64.endsWith("\n") ? base64 : `${base64}\n`, encoding: "base64" };
}
