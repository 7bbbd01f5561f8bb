// `codeguard sql "<statements>"` (or the statements on standard input): runs SQL on SUPABASE_DB_URL
// and prints what the last statement answered — for the README's SQL API calls (a webhook's secret,
// a GitHub App installation, the dispatch's key) where no psql is at hand. As the dashboard's SQL
// editor does: the text is sent as one query, so several statements run in one transaction.
import postgres from "postgres";
import { reachDatabase, redactUrl } from "../../database-url.ts";
import { databaseUrl, parseArgs, usageMessage } from "../args.ts";

export const summary = "run SQL on SUPABASE_DB_URL (argument or standard input), print the last answer";

export const USAGE = `usage: codeguard sql "<statements>" [--db-url URL]    or: codeguard sql [--db-url URL] < file.sql`;

export async function run(args: string[]): Promise<number> {
  let url: string;
  let text: string;
  try {
    const parsed = parseArgs(args, ["db-url"]);
    url = databaseUrl(parsed);
    if (parsed.positional.length > 1) throw new Error("give the SQL as one argument (quote it), or on standard input");
    text = parsed.positional[0] ?? "";
    if (!text && !process.stdin.isTTY) {
      const chunks: Buffer[] = [];
      for await (const c of process.stdin) chunks.push(c as Buffer);
      text = Buffer.concat(chunks).toString("utf8");
    }
    if (!text.trim()) throw new Error("no SQL given");
  } catch (e) {
    console.error(usageMessage("sql", e as Error, USAGE));
    return 2;
  }
  const sql = postgres(url, { max: 1, prepare: false, connect_timeout: 10, onnotice: (n) => console.error(`${n.severity}: ${n.message}`) });
  try {
    await reachDatabase(sql, url);
    const answer = await sql.unsafe(text).simple();
    const last = (Array.isArray(answer) && Array.isArray(answer[0]) ? answer.at(-1) : answer) as postgres.RowList<postgres.Row[]>;
    const rows = [...(last ?? [])];
    if (rows.length === 0) {
      console.log(last?.command ? `${last.command}${last.count ? ` ${last.count}` : ""}` : "done");
      return 0;
    }
    const head = Object.keys(rows[0]);
    const cell = (v: unknown) => (v === null ? "" : v instanceof Date ? v.toISOString() : typeof v === "object" ? JSON.stringify(v) : String(v));
    const table = rows.map((r) => head.map((h) => cell(r[h])));
    const widths = head.map((h, i) => Math.max(h.length, ...table.map((row) => row[i].length)));
    for (const row of [head, ...table]) console.log(row.map((c, i) => (i === row.length - 1 ? c : c.padEnd(widths[i]))).join("  "));
    return 0;
  } catch (e) {
    const err = e as { message: string; hint?: string; severity?: string };
    console.error(err.severity ? `codeguard sql: ${err.message}${err.hint ? `\n→ ${err.hint}` : ""}` : `codeguard sql: cannot reach the database at ${redactUrl(url)}: ${err.message}`);
    return 1;
  } finally {
    await sql.end({ timeout: 1 }).catch(() => {});
  }
}
