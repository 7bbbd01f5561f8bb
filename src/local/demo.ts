// What `npm start -- --once` runs on the fresh stack. Each issue that adds a stage of the
// pipeline adds its step here, so the demo always shows the whole flow as far as it goes.
import postgres from "postgres";
import type { LocalStack } from "./stack.ts";

export async function runDemo(stack: LocalStack, print: (line: string) => void): Promise<number> {
  let failures = 0;
  const step = async (title: string, fn: () => Promise<string>) => {
    const t = performance.now();
    try {
      const detail = await fn();
      print(`  ✓ ${title} (${Math.round(performance.now() - t)} ms): ${detail}`);
    } catch (e) {
      failures++;
      print(`  ✗ ${title}: ${(e as Error).message}`);
    }
  };
  print("demo:");

  await step("health function, called with the service-role key", async () => {
    const res = await fetch(`${stack.functionsUrl}/health`, { headers: { authorization: `Bearer ${stack.keys.serviceRoleKey}` } });
    const body = (await res.json()) as { status: string; migrations: { applied: number }; schedules: unknown[]; problems: string[] };
    if (res.status !== 200) throw new Error(`HTTP ${res.status}: ${body.problems?.join("; ")}`);
    return `${body.status}, ${body.migrations.applied} migrations, ${body.schedules.length} schedules`;
  });

  await step("health function refuses a call without a token", async () => {
    const res = await fetch(`${stack.functionsUrl}/health`);
    if (res.status !== 401) throw new Error(`expected 401, got ${res.status}`);
    return "401";
  });

  const sql = postgres(stack.dbUrl, { max: 1, onnotice: () => {} });
  try {
    await step("pg_cron schedules a pg_net call to the health function", async () => {
      const [{ since }] = await sql<{ since: Date }[]>`select clock_timestamp() as since`;
      const [{ jobid }] = await sql<{ jobid: string }[]>`
        select cron.schedule('demo-health-ping', '1 seconds', $$
          select net.http_post(
            url := (select decrypted_secret from vault.decrypted_secrets where name = 'project_url') || '/functions/v1/health',
            headers := jsonb_build_object('Authorization', 'Bearer ' || (select decrypted_secret from vault.decrypted_secrets where name = 'service_role_key')))
        $$)::text as jobid`;
      try {
        const deadline = Date.now() + 10_000;
        while (Date.now() < deadline) {
          const [r] = await sql<{ status_code: number | null; error_msg: string | null; content: string | null }[]>`
            select r.status_code, r.error_msg, r.content from net._http_response r
            where r.created > ${since} and exists (select 1 from cron.job_run_details d where d.jobid = ${jobid} and d.status = 'succeeded')
            order by r.created limit 1`;
          if (r) {
            if (r.status_code !== 200) throw new Error(`the function answered ${r.status_code ?? r.error_msg}: ${r.content}`);
            return "cron → net.http_post → /functions/v1/health → 200 recorded in net._http_response";
          }
          await new Promise((r) => setTimeout(r, 100));
        }
        throw new Error("no response within 10 s");
      } finally {
        await sql`select cron.unschedule('demo-health-ping')`;
      }
    });
  } finally {
    await sql.end();
  }
  return failures === 0 ? 0 : 1;
}
