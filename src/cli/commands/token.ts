// `codeguard token set`: the company's GitHub token, read from standard input (so that it is in no
// shell history and no process list), stored in Vault by set_github_token — never in a table, never
// printed back.
import { action, companyOption, UsageError } from "../args.ts";
import { runDbCommand } from "../db-command.ts";

export const summary = "token set: the company's GitHub token, from standard input, into Vault";

export const USAGE = `usage: codeguard token set [--company ID|NAME] [--db-url URL] < token.txt
  (or: printf %s "$GITHUB_TOKEN" | codeguard token set); scopes: a fine-grained token with read access to
  the repositories' contents, metadata and pull requests, or a classic token with repo; --company defaults to $CODEGUARD_COMPANY`;

/** Standard input, up to 4 KB (no token is longer), with one final line ending dropped. */
async function readToken(): Promise<string> {
  if (process.stdin.isTTY) process.stderr.write("paste the GitHub token, then Enter: ");
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of process.stdin) {
    chunks.push(chunk as Buffer);
    size += (chunk as Buffer).length;
    if (size > 4096) throw new UsageError("standard input is longer than any GitHub token (4 KB read): pipe the token alone");
    if (process.stdin.isTTY && (chunk as Buffer).includes(10)) break;
  }
  return Buffer.concat(chunks).toString("utf8").replace(/\r?\n$/, "");
}

export async function run(args: string[]): Promise<number> {
  const [verb, rest] = action(args);
  if (verb !== "set") {
    console.error(verb ? `codeguard token: unknown action ${verb}\n${USAGE}` : USAGE);
    return 2;
  }
  return await runDbCommand({ name: "token set", usage: USAGE, valued: ["company"] }, rest, async (parsed, api) => {
    if (parsed.positional.length) throw new UsageError("the token is read from standard input, not from the command line (where shell history and ps would show it)");
    const companyId = await api.resolveCompany(companyOption(parsed));
    const token = await readToken();
    if (!token) throw new UsageError("no token on standard input");
    await api.setGithubToken(companyId, token);
    console.log(`stored the GitHub token of company ${companyId} in Vault (github_token:${companyId}); the ETag cache of the old one is cleared`);
  });
}
