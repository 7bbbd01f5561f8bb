// `npm run bench -- github-cache`: the ETag cache's bytes per repository. A full scan of each data
// set's repository (github-mcp-server, lizard) on the local GitHub, through the Postgres cache as
// the scan processor uses it; side by side in the same run, the bodies GitHub answered that a cache
// of whole answers would have kept (the ETag-bearing 200s, as JSON text) — what the cache stored
// before it kept the readers' values. Prints one JSON line:
//   {"bench":"github-cache","repositories":{"<owner/name>":{"entries":N,"bytes":B,"bodies_bytes":R,"ratio":R/B}},…}
// bytes is what the cache accounts per row (value + Link header, the bound's unit); stored_bytes is
// Postgres's size of the rows on disk (pg_column_size, after TOAST compression).
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import postgres from "postgres";
import { repositoryFromDataSet } from "../src/local/github/dataset.ts";
import { startLocalGitHub } from "../src/local/github/server.ts";
import { prepareDatabase } from "../src/local/migrate.ts";
import { startPostgres } from "../src/local/postgres.ts";
import { staticToken } from "../supabase/functions/_shared/github/auth.ts";
import { PostgresEtagCache } from "../supabase/functions/_shared/github/etag-cache.ts";
import { GitHubHttp } from "../supabase/functions/_shared/github/http.ts";
import { scanRepository } from "../supabase/functions/_shared/github/history.ts";
import { dbFromPostgresJs } from "../supabase/functions/_shared/platform/db.ts";

const DATA = [
  { file: "github__github-mcp-server.jsonl", branch: "main" },
  { file: "terryyin__lizard.jsonl", branch: "master" },
];
const log = (m: string) => process.stderr.write(`[bench github-cache] ${m}\n`);

const pg = await startPostgres({ dataDir: mkdtempSync(join(tmpdir(), "codeguard-bench-pg-")), fast: true, ephemeral: true });
try {
  await prepareDatabase(pg.url());
  const sql = postgres(pg.url(), { max: 2, onnotice: () => {} });
  const db = dbFromPostgresJs(sql);
  const repositories = DATA.map((d) => repositoryFromDataSet(d.file, { defaultBranch: d.branch }));
  const gh = await startLocalGitHub({ repositories, rateLimit: 1_000_000 });
  const out: Record<string, Record<string, number>> = {};
  try {
    for (const repo of repositories) {
      const [{ id: company }] = await sql<{ id: string }[]>`insert into companies (name, settings) values (${repo.name}, '{"github_cache_max_bytes": 1e12}') returning id`;
      let bodiesBytes = 0;
      const counting: typeof fetch = async (input, init) => {
        const res = await fetch(input, init);
        if ((init?.method ?? "GET") === "GET" && res.status === 200 && res.headers.get("etag")) {
          bodiesBytes += Buffer.byteLength(await res.clone().text());
        }
        return res;
      };
      const http = new GitHubHttp({ token: staticToken("ghp_benchtoken00000000000000000000000000"), baseUrl: gh.url, etagCache: new PostgresEtagCache(db, company), fetch: counting });
      const t = performance.now();
      const scan = await scanRepository(http, { owner: repo.owner, name: repo.name, branch: repo.default_branch, commitsSince: null });
      const [m] = await sql<{ entries: number; bytes: number; stored: number }[]>`
        select count(*)::int as entries, coalesce(sum(bytes), 0)::int as bytes, coalesce(sum(pg_column_size(c.value) + pg_column_size(c.request_key) + pg_column_size(c.etag) + coalesce(pg_column_size(c.link), 0) + 40), 0)::int as stored
        from public.github_etag_cache c where company_id = ${company}`;
      out[`${repo.owner}/${repo.name}`] = {
        commits: scan.commits.length, entries: m.entries, bytes: m.bytes, stored_bytes: m.stored, bodies_bytes: bodiesBytes,
        ratio: Number((bodiesBytes / m.bytes).toFixed(1)),
      };
      log(`${repo.owner}/${repo.name}: ${scan.commits.length} commits in ${Math.round(performance.now() - t)} ms; ${m.entries} rows, ${m.bytes} bytes (${m.stored} on disk) against ${bodiesBytes} bytes of bodies`);
    }
  } finally {
    await gh.stop();
    await sql.end();
  }
  console.log(JSON.stringify({ bench: "github-cache", repositories: out }));
} finally {
  await pg.stop();
}
