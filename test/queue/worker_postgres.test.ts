import { describe, expect, it } from "vitest";
import { freePort } from "../../src/local/postgres.ts";
import { workerPostgres } from "../../src/worker/postgres.ts";
import { useTestDatabase } from "../harness/db.ts";

const tdb = useTestDatabase();

describe("workerPostgres", () => {
  it("runs queries, pipelined ones included, and LISTEN through its own sockets", async () => {
    const sql = workerPostgres(tdb.current.url, { max: 1, onnotice: () => {} });
    try {
      const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => sql<{ n: number }[]>`select ${i}::int as n`));
      expect(answers.map(([r]) => r.n)).toEqual(Array.from({ length: 20 }, (_, i) => i));
      const heard = new Promise<string>((resolve) => void sql.listen("worker_postgres_test", resolve));
      await new Promise((r) => setTimeout(r, 50));
      await tdb.current.sql`select pg_notify('worker_postgres_test', 'hello')`;
      expect(await heard).toBe("hello");
    } finally {
      await sql.end({ timeout: 1 });
    }
  });

  it("fails a query with the connection error when nothing listens", async () => {
    const port = await freePort();
    const sql = workerPostgres(`postgres://postgres:postgres@127.0.0.1:${port}/postgres`, { max: 1, onnotice: () => {} });
    try {
      await expect(sql`select 1`).rejects.toThrow(/ECONNREFUSED/);
    } finally {
      await sql.end({ timeout: 1 });
    }
  });
});
