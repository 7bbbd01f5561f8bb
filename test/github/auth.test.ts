import { generateKeyPairSync } from "node:crypto";
import { describe, expect, test } from "vitest";
import { githubAppToken, vaultToken } from "../../supabase/functions/_shared/github/auth.ts";
import { GitHubAuthError, RepositoryNotFound } from "../../supabase/functions/_shared/github/errors.ts";
import { probeRepository } from "../../supabase/functions/_shared/github/probe.ts";
import { useTestDatabase } from "../harness/db.ts";
import { clientFor, dataSetRepositories, MCP, useLocalGitHub } from "./local-github.ts";

const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
// GitHub hands out app keys as PKCS#1 ("BEGIN RSA PRIVATE KEY"): the client must read that form.
const privateKeyPem = privateKey.export({ type: "pkcs1", format: "pem" }).toString();
const publicKeyPem = publicKey.export({ type: "spki", format: "pem" }).toString();

let clock = Date.parse("2026-11-24T10:00:00Z");
const now = () => clock;
const gh = useLocalGitHub({ tokens: ["ghp_vaulttoken00000000000000000000000000"], now, app: { appId: "4242", installationId: "77", publicKeyPem } });
const database = useTestDatabase();

describe("personal access token in Vault", () => {
  test("the token stored with set_github_token is read from vault.decrypted_secrets", async () => {
    const { sql, db } = database.current;
    const [company] = await sql`insert into public.companies (name) values ('Acme') returning id`;
    await sql`select public.set_github_token(${company.id}::uuid, 'ghp_vaulttoken00000000000000000000000000')`;
    const state = await probeRepository(clientFor(gh.current, { token: vaultToken(db, company.id) }), MCP);
    expect(state.headSha).toBe(dataSetRepositories()[0].commits[0].sha);
  });

  test("a company without a stored token fails with a message that says how to fix it", async () => {
    const { sql, db } = database.current;
    const [company] = await sql`insert into public.companies (name) values ('NoToken') returning id`;
    const error = await probeRepository(clientFor(gh.current, { token: vaultToken(db, company.id) }), MCP).catch((e) => e);
    expect(error).toBeInstanceOf(GitHubAuthError);
    expect(error.message).toMatch(/set_github_token/);
    expect(error.retryable).toBe(false);
  });

  test("a repository GitHub does not have: the scan's error says so for a person, not as a raw 404 of /pulls", async () => {
    const { sql, db } = database.current;
    const [company] = await sql`insert into public.companies (name) values ('Typo') returning id`;
    await sql`select public.set_github_token(${company.id}::uuid, 'ghp_vaulttoken00000000000000000000000000')`;
    const error = await probeRepository(clientFor(gh.current, { token: vaultToken(db, company.id) }), { owner: "acme", name: "api", branch: "main" }).catch((e) => e);
    expect(error).toBeInstanceOf(RepositoryNotFound);
    expect(error.message).toBe("GitHub has no repository acme/api that the company's token can see: check its owner and name (codeguard repo add owner/name), " +
      "or give the token read access to it (GitHub answered 404 to /repos/acme/api/pulls)");
    expect(error.retryable).toBe(false);
  });

  test("a refused token never appears in the error", async () => {
    const { sql, db } = database.current;
    const [company] = await sql`insert into public.companies (name) values ('Wrong') returning id`;
    await sql`select public.set_github_token(${company.id}::uuid, 'ghp_secretbutwrong0000000000000000000000')`;
    const error = await probeRepository(clientFor(gh.current, { token: vaultToken(db, company.id) }), MCP).catch((e) => e);
    expect(error).toBeInstanceOf(GitHubAuthError);
    expect(JSON.stringify({ message: error.message, stack: error.stack, ...error })).not.toContain("ghp_secretbutwrong0000000000000000000000");
  });
});

describe("GitHub App installation token", () => {
  test("an app JWT signed with crypto.subtle is exchanged for an installation token that works", async () => {
    const token = githubAppToken({ appId: 4242, installationId: 77, privateKeyPem, baseUrl: gh.current.url, now });
    const state = await probeRepository(clientFor(gh.current, { token, now }), MCP);
    expect(state.headSha).toBe(dataSetRepositories()[0].commits[0].sha);
  });

  test("the installation token is reused until shortly before it expires", async () => {
    const token = githubAppToken({ appId: 4242, installationId: 77, privateKeyPem, baseUrl: gh.current.url, now });
    const http = clientFor(gh.current, { token, now, etagCache: null });
    await probeRepository(http, MCP);
    await probeRepository(http, MCP);
    expect(token.mints()).toBe(1);
    clock += 56 * 60_000; // within 5 minutes of the hour's expiry
    await probeRepository(http, MCP);
    expect(token.mints()).toBe(2);
  });

  test("a JWT signed with another key is refused", async () => {
    const other = generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey.export({ type: "pkcs8", format: "pem" }).toString();
    const token = githubAppToken({ appId: 4242, installationId: 77, privateKeyPem: other, baseUrl: gh.current.url, now });
    await expect(token.token()).rejects.toBeInstanceOf(GitHubAuthError);
  });
});
