import { createServer, type Server } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LocalNetDispatcher } from "../../src/local/dispatcher.ts";
import { useTestDatabase } from "../harness/db.ts";

const t = useTestDatabase();
let dispatcher: LocalNetDispatcher;
let server: Server;
let base = "";
const received: { method: string; url: string; headers: Record<string, unknown>; body: string }[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", () => {
      received.push({ method: req.method!, url: req.url!, headers: req.headers, body });
      if (req.url?.startsWith("/slow")) return void setTimeout(() => res.end("late"), 2000);
      res.writeHead(201, { "content-type": "application/json", "x-answer": "42" });
      res.end(JSON.stringify({ ok: true }));
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  dispatcher = new LocalNetDispatcher({ url: t.current.url, backstopMs: 60_000 });
  await dispatcher.start();
});
afterAll(async () => {
  await dispatcher?.stop();
  server.closeAllConnections();
  server.close();
});

async function response(id: string, ms = 3000) {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    const [r] = await t.current.sql`select * from net._http_response where id = ${id}`;
    if (r) return r;
    await new Promise((r) => setTimeout(r, 20));
  }
  return undefined;
}

describe("pg_net face and the local dispatcher", () => {
  it("sends net.http_post with the JSON body and headers, and records the answer", async () => {
    const [{ id }] = await t.current.sql`select net.http_post(${base + "/hook"}, '{"scan_id": 7}'::jsonb, '{"a": "b"}'::jsonb, '{"X-Token": "t"}'::jsonb)::text as id`;
    const r = await response(id);
    expect(r).toMatchObject({ status_code: 201, content_type: "application/json", content: '{"ok":true}', timed_out: false, error_msg: null });
    expect((r!.headers as Record<string, string>)["x-answer"]).toBe("42");
    const req = received.find((x) => x.url === "/hook?a=b")!;
    expect(req.method).toBe("POST");
    expect(JSON.parse(req.body)).toEqual({ scan_id: 7 });
    expect(req.headers["content-type"]).toBe("application/json");
    expect(req.headers["x-token"]).toBe("t");
    const [{ n }] = await t.current.sql`select count(*)::int as n from net.http_request_queue where id = ${id}`;
    expect(n).toBe(0);
  });

  it("sends nothing for a call whose transaction rolled back", async () => {
    const before = received.length;
    await t.current.sql.begin(async (tx) => {
      await tx`select net.http_get(${base + "/rolled-back"})`;
      throw new Error("roll back");
    }).catch(() => {});
    const [{ id }] = await t.current.sql`select net.http_get(${base + "/after"})::text as id`;
    await response(id);
    expect(received.slice(before).map((r) => r.url)).toEqual(["/after"]);
  });

  it("records a timeout as timed_out with pg_net's message", async () => {
    const [{ id }] = await t.current.sql`select net.http_get(${base + "/slow"}, timeout_milliseconds := 200)::text as id`;
    const r = await response(id);
    expect(r).toMatchObject({ status_code: null, timed_out: true });
    expect(r!.error_msg).toMatch(/Timeout of 200 ms/);
  });

  it("records a refused connection as an error, not a lost request", async () => {
    const [{ id }] = await t.current.sql`select net.http_get('http://127.0.0.1:1/nobody')::text as id`;
    const r = await response(id);
    expect(r).toMatchObject({ status_code: null, timed_out: false });
    expect(r!.error_msg).toMatch(/ECONNREFUSED|fetch failed/);
  });
});
