/**
 * The cheap first look of every scan: has anything changed since the last one? Two conditional
 * REST requests — the most recently updated PR and the branch head — answered 304 (free) when
 * nothing moved. GraphQL has no conditional requests, so this is what lets an unchanged rescan
 * spend zero requests that count. Correctness does not rest on the ETag cache: the answer is
 * compared with the watermarks the previous scan stored, so a cache entry written by a scan that
 * later failed cannot hide a change.
 */
import { GitHubRequestError, RepositoryNotFound } from "./errors.ts";
import type { GitHubHttp } from "./http.ts";
import { ShapeReader } from "./shape.ts";

export interface RepositoryState {
  /** updated_at of the most recently updated PR, or null when the repository has none. */
  newestPullRequestUpdatedAt: string | null;
  /** The branch head's sha, or null for an empty repository. */
  headSha: string | null;
  /** The branch head's committer date (ISO), or null for an empty repository. */
  headCommittedAt: string | null;
  /** Both answers were 304s: GitHub charged nothing for this probe. */
  notModified: boolean;
  /** The default branch the head was read from: `branch`, or GitHub's when `branch` is not there. */
  branch: string;
}

export async function probeRepository(
  http: GitHubHttp,
  options: { owner: string; name: string; branch: string },
): Promise<RepositoryState> {
  const repo = `/repos/${encodeURIComponent(options.owner)}/${encodeURIComponent(options.name)}`;
  // The scan's first request: a 404 here is the repository itself, said for a person.
  const pulls = await http.get(`${repo}/pulls?state=all&sort=updated&direction=desc&per_page=1`, {
    shape: "newest-pull-updated-at@1",
    read: (body, url) => {
      const r = new ShapeReader(url);
      const list = r.arr(body, "");
      return list.length === 0 ? null : r.str(r.obj(list[0], "[0]").updated_at, "[0].updated_at");
    },
  }).catch((e: unknown) => {
    if (e instanceof GitHubRequestError && e.status === 404) throw new RepositoryNotFound(`${options.owner}/${options.name}`, `${repo}/pulls`);
    throw e;
  });
  // The head's sha and committer date (what a scan window is compared with). A new shape name:
  // cached answers of the sha-only shape are not read as this one.
  const headOf = (branch: string) => http.get(`${repo}/commits?sha=${encodeURIComponent(branch)}&per_page=1`, {
    shape: "head-sha-date@2",
    read: (body, url) => {
      const r = new ShapeReader(url);
      const list = r.arr(body, "");
      if (list.length === 0) return null;
      const head = r.obj(list[0], "[0]");
      const commit = r.obj(head.commit, "[0].commit");
      return { sha: r.str(head.sha, "[0].sha"), committedAt: r.str(r.obj(commit.committer, "[0].commit.committer").date, "[0].commit.committer.date") };
    },
  });
  let branch = options.branch;
  let head;
  try {
    head = await headOf(branch);
  } catch (e) {
    // No such branch: a repository registered from an installation event (which names no default
    // branch) before its first push, or a default branch renamed since. GitHub says which it is.
    if (!(e instanceof GitHubRequestError) || (e.status !== 404 && e.status !== 422)) throw e;
    const repository = await http.get(repo, {
      shape: "repository-default-branch@1",
      read: (body, url) => {
        const r = new ShapeReader(url);
        return r.str(r.obj(body, "").default_branch, "default_branch");
      },
    });
    if (repository.data === branch) throw e;
    branch = repository.data;
    head = await headOf(branch);
  }
  return {
    newestPullRequestUpdatedAt: pulls.data, headSha: head.data?.sha ?? null, headCommittedAt: head.data?.committedAt ?? null,
    notModified: pulls.fromCache && head.fromCache, branch,
  };
}
