// `codeguard repo add`'s look at GitHub before it watches a repository: with the company's token
// (when one is stored), is the repository there for it? A name GitHub does not have used to be
// accepted, and its first scan then died on "GitHub answered 404 to http://…/pulls?state=all…".
// GITHUB_API_URL points it where the workers go (GitHub Enterprise Server, a local GitHub).

/** What GitHub said of the repository: there, not there (for this token), or no answer to go by. */
export type RepositoryCheck =
  | { kind: "found"; defaultBranch: string | null }
  | { kind: "not_found"; url: string }
  | { kind: "unchecked"; why: string };

export const GITHUB_CHECK_TIMEOUT_MS = 10_000;

export async function checkRepositoryOnGitHub(
  fullName: string,
  token: string,
  baseUrl = process.env.GITHUB_API_URL || "https://api.github.com",
): Promise<RepositoryCheck> {
  const [owner, name] = fullName.split("/");
  const url = `${baseUrl.replace(/\/+$/, "")}/repos/${encodeURIComponent(owner)}/${encodeURIComponent(name)}`;
  let res: Response;
  try {
    res = await fetch(url, {
      headers: { authorization: `Bearer ${token}`, accept: "application/vnd.github+json", "x-github-api-version": "2022-11-28", "user-agent": "codeguard-cli" },
      signal: AbortSignal.timeout(GITHUB_CHECK_TIMEOUT_MS),
    });
  } catch (e) {
    // fetch's "fetch failed" says nothing: the cause (ECONNREFUSED, ENOTFOUND …) does.
    const err = e as Error & { cause?: { code?: string; errors?: { code?: string }[] } };
    const cause = err.cause?.code ?? err.cause?.errors?.[0]?.code ?? err.message;
    return { kind: "unchecked", why: `no answer from ${baseUrl} (${err.name === "TimeoutError" ? `none within ${GITHUB_CHECK_TIMEOUT_MS / 1000} s` : cause})` };
  }
  if (res.status === 404) {
    await res.body?.cancel();
    return { kind: "not_found", url };
  }
  if (!res.ok) {
    const detail = ((await res.json().catch(() => null)) as { message?: string } | null)?.message;
    return { kind: "unchecked", why: `GitHub answered ${res.status}${detail ? ` (${detail})` : ""}${res.status === 401 ? ": store a valid token with codeguard token set" : ""}` };
  }
  const body = (await res.json().catch(() => null)) as { default_branch?: unknown } | null;
  return { kind: "found", defaultBranch: typeof body?.default_branch === "string" ? body.default_branch : null };
}
