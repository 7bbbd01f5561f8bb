/**
 * The GraphQL documents the client sends. They are validated against GitHub's published schema
 * (@octokit/graphql-schema) by test/github/schema-conformance.test.ts, and the local GitHub executes
 * them against that same schema, so a query that works in tests is valid on github.com.
 *
 * Cost (GitHub's formula: connection requests assuming every `first` is reached, / 100, min 1): a
 * page of 50 PRs with labels, reviews, commits and files is 1 + 50 × 4 = 201 requests → 2 points,
 * against 3+ REST requests per PR for the naive scan. A PR commit's `parents` is left out on purpose:
 * it is a connection per commit, which would make the same page 1 + 50 × 4 + 50 × 100 → 52 points.
 * The branch's history is where parents are read (COMMIT_HISTORY_PAGE: one level down, 3 points).
 */

import { NOTES_BATCH, notesBatchQuery } from "./notes.ts";

const ACTOR = `__typename login ... on User { databaseId } ... on Bot { databaseId } ... on Mannequin { databaseId } ... on Organization { databaseId }`;

const COMMIT = `oid message additions deletions authoredDate committedDate
  author { name email date user { login } }
  committer { name email date }`;

const PAGE_INFO = `pageInfo { hasNextPage endCursor }`;

/** What detection needs of a pull request (its connections' first pages; PULL_REQUEST_CONNECTIONS reads on). */
const PULL_REQUEST = `number title body state createdAt updatedAt mergedAt headRefName baseRefName additions deletions
  author { ${ACTOR} }
  mergedBy { ${ACTOR} }
  labels(first: 20) { nodes { name } }
  reviews(first: $reviews) { ${PAGE_INFO} nodes { state submittedAt author { ${ACTOR} } } }
  commits(first: $commits) { ${PAGE_INFO} nodes { commit { ${COMMIT} } } }
  files(first: $files) { ${PAGE_INFO} nodes { path additions deletions changeType } }`;

/** One page of a repository's pull requests, most recently updated first, with what detection needs. */
export const PULL_REQUEST_PAGE = `query PullRequestPage($owner: String!, $name: String!, $first: Int!, $after: String, $reviews: Int!, $commits: Int!, $files: Int!) {
  rateLimit { cost remaining resetAt }
  repository(owner: $owner, name: $name) {
    pullRequests(first: $first, after: $after, orderBy: { field: UPDATED_AT, direction: DESC }) {
      ${PAGE_INFO}
      nodes { ${PULL_REQUEST} }
    }
  }
}`;

/** One pull request by number (a pr_analysis scan), as a page gives it: 1 point. */
export const PULL_REQUEST_BY_NUMBER = `query PullRequestByNumber($owner: String!, $name: String!, $number: Int!, $reviews: Int!, $commits: Int!, $files: Int!) {
  rateLimit { cost remaining resetAt }
  repository(owner: $owner, name: $name) {
    pullRequest(number: $number) { ${PULL_REQUEST} }
  }
}`;

/**
 * The rest of one PR's reviews, commits or files when a page cut them short (a PR with more than
 * `first` commits): only the connections still open are asked for, through @include.
 */
export const PULL_REQUEST_CONNECTIONS = `query PullRequestConnections($owner: String!, $name: String!, $number: Int!,
  $withReviews: Boolean!, $reviewsAfter: String, $withCommits: Boolean!, $commitsAfter: String,
  $withFiles: Boolean!, $filesAfter: String, $first: Int!) {
  rateLimit { cost remaining resetAt }
  repository(owner: $owner, name: $name) {
    pullRequest(number: $number) {
      reviews(first: $first, after: $reviewsAfter) @include(if: $withReviews) { ${PAGE_INFO} nodes { state submittedAt author { ${ACTOR} } } }
      commits(first: $first, after: $commitsAfter) @include(if: $withCommits) { ${PAGE_INFO} nodes { commit { ${COMMIT} } } }
      files(first: $first, after: $filesAfter) @include(if: $withFiles) { ${PAGE_INFO} nodes { path additions deletions changeType } }
    }
  }
}`;

/**
 * One page of the branch's history, newest first, from the head the scan's probe saw (`object(oid:)`
 * rather than `ref`: every page of every run of one scan lists the same history, however the branch
 * moves meanwhile). Per commit: its totals, file count and parents — what detection needs of a commit
 * besides its numstat — and the PR it merged, with that PR's files, which are the commit's own when it
 * is the PR's squash (or single-commit rebase) merge. Cost: 1 + 100 parents + 100 associated PRs +
 * 100 × 1 PR files = 301 requests → 3 points for 100 commits, against 100 REST requests.
 */
export const COMMIT_HISTORY_PAGE = `query CommitHistoryPage($owner: String!, $name: String!, $head: GitObjectID!, $first: Int!, $after: String, $since: GitTimestamp, $files: Int!) {
  rateLimit { cost remaining resetAt }
  repository(owner: $owner, name: $name) {
    object(oid: $head) {
      ... on Commit {
        history(first: $first, after: $after, since: $since) {
          ${PAGE_INFO}
          nodes {
            oid message additions deletions changedFilesIfAvailable authoredDate committedDate
            author { name email date }
            committer { name email date }
            parents(first: 2) { totalCount nodes { oid } }
            associatedPullRequests(first: 1) {
              nodes { number mergeCommit { oid } files(first: $files) { ${PAGE_INFO} nodes { path additions deletions } } }
            }
          }
        }
      }
    }
  }
}`;

/**
 * Paths whose histories one PATH_HISTORIES request reads: 100 connections → 1 point, ≤ 10,000 nodes
 * (GitHub allows 500,000). On github-mcp-server's full scan, one such request a commit page left 332
 * commits to REST; 50 a request left 385.
 */
export const PATH_HISTORY_BATCH = 100;

/**
 * The commits that touched each of `count` paths (`git log -- <path>`), 100 a path per request, from
 * the scan's head and within its window: p0 … p<count−1>, one aliased history per path.
 */
export function pathHistoriesQuery(count: number): string {
  const vars = Array.from({ length: count }, (_, i) => `$path${i}: String!, $after${i}: String`).join(", ");
  const fields = Array.from({ length: count }, (_, i) =>
    `p${i}: history(first: 100, path: $path${i}, after: $after${i}, since: $since) { ${PAGE_INFO} nodes { oid } }`).join("\n        ");
  return `query PathHistories($owner: String!, $name: String!, $head: GitObjectID!, $since: GitTimestamp, ${vars}) {
  rateLimit { cost remaining resetAt }
  repository(owner: $owner, name: $name) {
    object(oid: $head) {
      ... on Commit {
        ${fields}
      }
    }
  }
}`;
}

/** Every document the client sends, for the schema conformance test. */
export const ALL_QUERIES = {
  PULL_REQUEST_PAGE,
  PULL_REQUEST_BY_NUMBER,
  PULL_REQUEST_CONNECTIONS,
  COMMIT_HISTORY_PAGE,
  PATH_HISTORIES: pathHistoriesQuery(PATH_HISTORY_BATCH),
  NOTES_BATCH: notesBatchQuery(NOTES_BATCH),
} as const;
