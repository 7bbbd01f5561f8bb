/**
 * The GraphQL documents the client sends. They are validated against GitHub's published schema
 * (@octokit/graphql-schema) by test/github/schema-conformance.test.ts, and the local GitHub executes
 * them against that same schema, so a query that works in tests is valid on github.com.
 *
 * Cost (GitHub's formula: connection requests assuming every `first` is reached, / 100, min 1): a
 * page of 50 PRs with labels, reviews, commits and files is 1 + 50 × 4 = 201 requests → 2 points,
 * against 3+ REST requests per PR for the naive scan. Commit `parents` is left out on purpose: it is
 * a connection per commit, which would make the same page 1 + 50 × 4 + 50 × 100 → 52 points.
 */

const ACTOR = `__typename login ... on User { databaseId } ... on Bot { databaseId } ... on Mannequin { databaseId } ... on Organization { databaseId }`;

const COMMIT = `oid message additions deletions authoredDate committedDate
  author { name email date user { login } }
  committer { name email date }`;

const PAGE_INFO = `pageInfo { hasNextPage endCursor }`;

/** One page of a repository's pull requests, most recently updated first, with what detection needs. */
export const PULL_REQUEST_PAGE = `query PullRequestPage($owner: String!, $name: String!, $first: Int!, $after: String, $reviews: Int!, $commits: Int!, $files: Int!) {
  rateLimit { cost remaining resetAt }
  repository(owner: $owner, name: $name) {
    pullRequests(first: $first, after: $after, orderBy: { field: UPDATED_AT, direction: DESC }) {
      ${PAGE_INFO}
      nodes {
        number title body state createdAt updatedAt mergedAt headRefName baseRefName additions deletions
        author { ${ACTOR} }
        mergedBy { ${ACTOR} }
        labels(first: 20) { nodes { name } }
        reviews(first: $reviews) { ${PAGE_INFO} nodes { state submittedAt author { ${ACTOR} } } }
        commits(first: $commits) { ${PAGE_INFO} nodes { commit { ${COMMIT} } } }
        files(first: $files) { ${PAGE_INFO} nodes { path additions deletions changeType } }
      }
    }
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

/** Every document the client sends, for the schema conformance test. */
export const ALL_QUERIES = { PULL_REQUEST_PAGE, PULL_REQUEST_CONNECTIONS } as const;
