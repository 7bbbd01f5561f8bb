// The GitHub source's boundary (github/source.ts): a repository name GitHub cannot have is refused
// before any request, saying GitHub's form; GitHub's errors cross the seam as the contract's.
import { describe, expect, it } from "vitest";
import { GitHubAuthError, GitHubUnavailable, MalformedResponse, RateLimited } from "../../supabase/functions/_shared/github/errors.ts";
import { ownerAndName, sourceErrorFor } from "../../supabase/functions/_shared/github/source.ts";
import { SourceDown, SourceRateLimited, SourceRefused } from "../../supabase/functions/_shared/source/errors.ts";

describe("the GitHub source", () => {
  it("splits owner/name within GitHub's bounds, and refuses the rest naming the form", () => {
    expect(ownerAndName("octo-cat/hello.world_2")).toEqual({ owner: "octo-cat", name: "hello.world_2" });
    for (const bad of ["octocat", "octo/cat/hello", "-octo/hello", "octo_cat/hello", "octo/..", `${"a".repeat(40)}/x`, "octo/hello world"]) {
      expect(() => ownerAndName(bad), bad).toThrow(SourceRefused);
    }
    expect(() => ownerAndName("gitlab.com/group/sub/name")).toThrow(/is not a GitHub repository name: owner\/name/);
  });

  it("turns GitHub's errors into the contract's: rate limit, down, refused; a retryable one passes through", () => {
    const reset = new Date("2032-01-01T00:00:00Z");
    const limited = sourceErrorFor(new RateLimited(reset, "primary", "core"));
    expect(limited).toBeInstanceOf(SourceRateLimited);
    expect((limited as SourceRateLimited).until).toEqual(reset);
    const down = sourceErrorFor(new GitHubUnavailable("GitHub answered 502", 3, 502, true));
    expect(down).toBeInstanceOf(SourceDown);
    expect((down as SourceDown).timedOut).toBe(true);
    expect(sourceErrorFor(new GitHubAuthError(401, "Bad credentials"))).toBeInstanceOf(SourceRefused);
    const malformed = new MalformedResponse("https://api.github.com/x", "not JSON");
    expect(sourceErrorFor(malformed)).toBe(malformed);
  });
});
