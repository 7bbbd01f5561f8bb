// The members' dashboard on the local stack: the dashboard function under real Deno behind the
// gateway, the demo company (supabase/seed.sql) scanned from the local GitHub through the real
// pipeline, and the page driven in headless Chromium (Debian's, as the report page's test). Its JSON
// is checked against the weekly report generated for the same day (one source), its caller checks
// against every kind of caller, and the page against the report's figures, a scan run and
// cancelled from it, and every failure it must say in words. Screenshots: .codeguard/dashboard-*.png.
import { execFile } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { promisify } from "node:util";
import { join } from "node:path";
import { randomUUID } from "node:crypto";
import postgres from "postgres";
import { chromium, type Browser, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEMO_COMPANY, demoRepositories, SEED_SQL } from "../../src/local/demo.ts";
import { makeLocalKeys, signUserJwt } from "../../src/local/keys.ts";
import { REPO_ROOT } from "../../src/local/migrate.ts";
import { dbFromPostgresJs } from "../../supabase/functions/_shared/platform/db.ts";
import { generateWeeklyReport, type WeeklyReport } from "../../supabase/functions/_shared/reports/weekly-report.ts";
import type { DashboardOverview } from "../../supabase/functions/_shared/http/dashboard.ts";
import { useLocalStack } from "../harness/stack.ts";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const repositories = demoRepositories();
if (!repositories) throw new Error("the demo's data sets are not in ../shared/data");
const stack = useLocalStack({ localGitHub: () => repositories });
const SHOTS = join(REPO_ROOT, ".codeguard");

let sql: postgres.Sql;
let browser: Browser;
const ids = { mcp: "", lizard: "", other: "", otherCompany: "", alice: randomUUID(), bob: randomUUID(), carol: randomUUID(), stranger: randomUUID() };
const today = () => new Date().toISOString().slice(0, 10);
let demoWeekEnd = "";
let todays: WeeklyReport;
let demoWeek: WeeklyReport;

/** Waits for a condition (not the clock): polls `check` until it answers a value, or fails with `what`. */
async function until<T>(what: string, check: () => Promise<T | null | undefined | false>, ms = 120_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** Waits until the company's queue is idle: no scan, score or alert job pending or running. */
const queueIdle = () => until("the demo company's jobs", async () => {
  const [w] = await sql`select count(*) filter (where status in ('pending', 'running'))::int as busy from scan_queue where company_id = ${DEMO_COMPANY}`;
  return w.busy === 0;
});

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`no chromium at ${CHROMIUM}: apt-get install -y chromium (or set CHROMIUM_PATH)`);
  sql = postgres(stack.current.dbUrl, { max: 3, onnotice: () => {} });
  await sql.unsafe(readFileSync(SEED_SQL, "utf8"));
  [{ id: ids.mcp }] = await sql`select id from repositories where company_id = ${DEMO_COMPANY} and full_name = 'github/github-mcp-server'`;
  [{ id: ids.lizard }] = await sql`select id from repositories where company_id = ${DEMO_COMPANY} and full_name = 'terryyin/lizard'`;
  [{ id: ids.otherCompany }] = await sql`insert into companies (name) values ('Others Ltd') returning id`;
  [{ id: ids.other }] = await sql`insert into repositories (company_id, full_name) values (${ids.otherCompany}, 'others/private-thing') returning id`;
  // Signed up with Supabase Auth (auth.users: a deleted auth user's session opens nothing), then members.
  await sql`insert into auth.users (id, email) values
    (${ids.alice}, 'alice@demo.example'), (${ids.carol}, 'carol@demo.example'), (${ids.bob}, 'bob@others.example')`;
  await sql`insert into users (id, company_id, email) values
    (${ids.alice}, ${DEMO_COMPANY}, 'alice@demo.example'), (${ids.carol}, ${DEMO_COMPANY}, 'carol@demo.example'),
    (${ids.bob}, ${ids.otherCompany}, 'bob@others.example')`;
  // github-mcp-server scanned through the pipeline (enqueue → pg_net → scan-repository → local
  // GitHub), then its scores and alerts; lizard left for the page's Run scan.
  await sql`select public.enqueue_scan(p_company_id => ${DEMO_COMPANY}, p_repository_id => ${ids.mcp}, p_priority => 1)`;
  await queueIdle();
  const [{ n }] = await sql`select count(*)::int as n from ai_debt_scores where company_id = ${DEMO_COMPANY} and repository_id is null`;
  expect(n).toBeGreaterThan(0);
  // The reports a member would compare with: the week of the newest commit (the data sets are
  // history, as the demo reports it), and the 7 days ending today (what the page shows first).
  const [{ newest }] = await sql`select max(authored_at) as newest from scan_results where company_id = ${DEMO_COMPANY} and path = ''`;
  const end = new Date(Date.UTC(newest.getUTCFullYear(), newest.getUTCMonth(), newest.getUTCDate() + 6 - ((newest.getUTCDay() + 6) % 7)));
  demoWeekEnd = end.toISOString().slice(0, 10);
  const db = dbFromPostgresJs(sql);
  demoWeek = await generateWeeklyReport(db, { companyId: DEMO_COMPANY, periodEnd: demoWeekEnd });
  todays = await generateWeeklyReport(db, { companyId: DEMO_COMPANY, periodEnd: today() });
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking", "--no-first-run"],
  });
  mkdirSync(SHOTS, { recursive: true });
}, 300_000);

afterAll(async () => {
  await browser?.close();
  await sql?.end();
});

const tokenOf = (sub: string, expiresInSeconds = 3600) => signUserJwt(stack.current.keys, { sub, email: `${sub.slice(0, 4)}@example.com`, expiresInSeconds });
const api = (path: string, headers: Record<string, string> = {}) => fetch(`${stack.current.functionsUrl}/dashboard${path}`, { headers });
const asMember = (sub: string) => ({ authorization: `Bearer ${tokenOf(sub)}`, apikey: stack.current.keys.publishableKey });
/** The page's address with a session in its fragment, as Supabase Auth's redirect (or codeguard dashboard) makes it. */
const signedInUrl = (token: string, query = "") =>
  `${stack.current.functionsUrl}/dashboard${query}#access_token=${token}&token_type=bearer&expires_in=3600&expires_at=${Math.floor(Date.now() / 1000) + 3600}`;

/**
 * The figures the page shares with the weekly report, read off the DOM and compared with the stored
 * report's content: the AI-LOC band and its coverage, the AI lines per agent and model, the open
 * alerts, the riskiest PRs (links and order).
 */
async function expectReportFigures(page: Page, c: WeeklyReport["content"]) {
  const o = c.ai_origins!;
  expect(o).toBeTruthy();
  expect(await text(page, "#ai-loc")).toBe(`${o.floor_percentage}%`);
  expect(await text(page, "#ai-loc-ceiling")).toBe(`${o.ceiling_percentage}%`);
  expect(await text(page, "#ai-loc-recorded")).toBe(`${o.recorded_percentage}%`);
  expect(await text(page, "#ai-loc-attested")).toBe(`${o.attested_percentage}%`);
  for (const k of ["recorded", "attested", "suspected", "unknown"] as const) {
    expect(await text(page, `#coverage [data-coverage="${k}"]`)).toBe(`${o.coverage[`${k}_pct`]}%`);
  }
  expect(await page.locator("#agents tr[data-agent]").evaluateAll((rows) => rows.map((r) => ({
    agent: r.getAttribute("data-agent"), model: r.getAttribute("data-model") || null,
    lines: Number(r.querySelector(".lines")!.textContent), share_pct: Number(r.querySelector(".share")!.textContent!.replace("%", "")) }))))
    .toEqual(o.by_agent.map((a) => ({ agent: a.agent, model: a.model, lines: a.lines, share_pct: a.share_pct })));
  // Per repository, its AI share to its ceiling: the report's row and its origins' row (whose floor is the same figure).
  for (const r of c.repositories) {
    const origin = o.repositories.find((x) => x.full_name === r.full_name);
    if (origin) expect(origin.floor_percentage).toBe(r.ai_loc_percentage);
    expect(await rowText(page, r.full_name, "ai-share")).toBe(`${r.ai_loc_percentage}%${origin ? ` to ${origin.ceiling_percentage}%` : ""}`);
  }
  expect(await text(page, "#open-alerts")).toBe(String(c.risk_summary.open_alert_count));
  expect(await page.locator("#company-riskiest-prs tr[data-pr] a").evaluateAll((links) => links.map((a) => a.getAttribute("href"))))
    .toEqual(c.riskiest_prs.map((p) => p.url));
}

describe("the dashboard's JSON", () => {
  it("answers a member the report's own content for the day, whole, and the repositories' ids, scans and review counts beside it", async () => {
    for (const report of [todays, demoWeek]) {
      const res = await api(`/api/overview?period_end=${report.periodEnd}`, asMember(ids.alice));
      expect(res.status).toBe(200);
      const body = (await res.json()) as DashboardOverview;
      // The same content, whole, but for the moment it was taken (the report is a snapshot at its
      // generation: the dashboard's is generated for this answer, after the stored one).
      const { generated_at: at, ...rest } = body.report;
      const { generated_at: storedAt, ...stored } = report.content;
      expect(rest).toEqual(stored);
      expect(Date.parse(at)).toBeGreaterThanOrEqual(Date.parse(storedAt));
      const repos = body.company.repositories;
      expect(repos.map((r) => r.full_name).sort()).toEqual(report.content.repositories.map((r) => r.full_name).sort());
      // Per repository, the report's company review figures: summed, they are the report's.
      expect(repos.reduce((n, r) => n + r.merged_ai_prs, 0)).toBe(report.content.ai_usage_summary.merged_ai_prs);
      expect(repos.reduce((n, r) => n + r.reviewed_ai_prs, 0)).toBe(report.content.ai_usage_summary.reviewed_ai_prs);
      // No second count of what the report has: the AI lines per agent, the band, the suspected lines.
      expect(Object.keys(body.company).sort()).toEqual(["alert_history", "recent_scans", "repositories"]);
      // The alerts whose history it gives are exactly those the report lists as open.
      const key = (a: { category: string; repository: string | null; title: string }) => `${a.category}|${a.repository ?? ""}|${a.title}`;
      expect(body.company.alert_history.map(key).sort()).toEqual(report.content.risk_summary.open_alerts.map(key).sort());
      expect(repos.find((r) => r.full_name === "github/github-mcp-server")!.last_scan).toMatchObject({ status: "completed", scanType: "full_scan", progress: 100 });
      expect(repos.find((r) => r.full_name === "terryyin/lizard")!.last_scan).toBeNull();
    }
    // The demo's week has AI work in it: the report's origins name its agents.
    const week = (await (await api(`/api/overview?period_end=${demoWeekEnd}`, asMember(ids.alice))).json()) as DashboardOverview;
    expect(week.report.ai_usage_summary.ai_loc).toBeGreaterThan(0);
    expect(week.report.ai_origins!.by_agent.length).toBeGreaterThan(0);
  });

  it("answers today by default, and a repository's view with its trend, riskiest PRs with GitHub's address, and authors", async () => {
    const body = (await (await api("/api/overview", asMember(ids.alice))).json()) as DashboardOverview;
    expect(body.periodEnd).toBe(today());
    const res = await api(`/api/repository?id=${ids.mcp}&period_end=${demoWeekEnd}`, asMember(ids.alice));
    expect(res.status).toBe(200);
    const { repository } = (await res.json()) as { repository: { score_trend: unknown[]; span: { start: string; end: string }; ai_prs: number;
      riskiest_prs: { repository: string; url: string; number: number; unreviewed_ai_merge: boolean }[]; authors: { commits: number }[]; scans: unknown[] } };
    expect(repository.score_trend).toHaveLength(12);
    expect(repository.riskiest_prs.length).toBeGreaterThan(0);
    for (const pr of repository.riskiest_prs) expect(pr.url).toBe(`https://github.com/github/github-mcp-server/pull/${pr.number}`);
    // Ranked as the weekly report ranks them: the company's ranking over the same 12 weeks
    // (weekly_report_riskiest_prs without a repository), this repository's rows of it, in order.
    const [{ all }] = await sql`select public.weekly_report_riskiest_prs(${DEMO_COMPANY}::uuid, (${repository.span.start}::date)::timestamp at time zone 'UTC',
                                  (${repository.span.end}::date + 1)::timestamp at time zone 'UTC', 100000) as all`;
    const mine = (all as typeof repository.riskiest_prs).filter((p) => p.repository === "github/github-mcp-server");
    expect(repository.riskiest_prs).toEqual(mine.slice(0, 10));
    expect(repository.ai_prs).toBe(mine.length);
    // Merged without a review first.
    const flags = repository.riskiest_prs.map((p) => p.unreviewed_ai_merge);
    expect(flags).toEqual([...flags].sort((a, b) => Number(b) - Number(a)));
    expect(repository.authors.length).toBeGreaterThan(0);
    expect(repository.scans).toHaveLength(1);
  });

  it("answers 401 without a session, with only the public key, with an expired or forged session; 403 to the service", async () => {
    const k = stack.current.keys;
    const expired = tokenOf(ids.alice, -60);
    const foreign = signUserJwt(makeLocalKeys(), { sub: ids.alice });
    for (const headers of [{}, { apikey: k.publishableKey }, { authorization: `Bearer ${expired}` }, { authorization: `Bearer ${foreign}`, apikey: k.publishableKey }] as Record<string, string>[]) {
      const res = await api("/api/overview", headers);
      expect(res.status, JSON.stringify(headers).slice(0, 60)).toBe(401);
      expect(((await res.json()) as { error: string }).error).toMatch(/sign in|refused/);
    }
    expect((await api("/api/overview", { apikey: k.secretKey })).status).toBe(403);
  });

  it("answers 403 to a signed-in user of no company, for another company's id or repository; 404 for an unknown repository", async () => {
    const stranger = await api("/api/overview", asMember(ids.stranger));
    expect(stranger.status).toBe(403);
    expect(((await stranger.json()) as { code: string }).code).toBe("not_member");
    expect((await api(`/api/overview?company=${ids.otherCompany}`, asMember(ids.alice))).status).toBe(403);
    expect((await api(`/api/repository?id=${ids.other}`, asMember(ids.alice))).status).toBe(403);
    expect((await api(`/api/repository?id=${randomUUID()}`, asMember(ids.alice))).status).toBe(404);
    expect((await api(`/api/overview?period_end=2026-13-40`, asMember(ids.alice))).status).toBe(400);
  });

  it("gives another company's member nothing of this company", async () => {
    const res = await api("/api/overview", asMember(ids.bob));
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(JSON.parse(text).report.company.name).toBe("Others Ltd");
    for (const secret of [DEMO_COMPANY, "Demo Inc", "github-mcp-server", "lizard", ids.mcp, ids.lizard]) expect(text).not.toContain(secret);
    expect((await api(`/api/repository?id=${ids.mcp}`, asMember(ids.bob))).status).toBe(403);
  });

  it("serves the page to anyone, with nothing of any company in it and nothing to fetch elsewhere", async () => {
    const res = await api("");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/html/);
    expect(res.headers.get("content-security-policy")).toMatch(/connect-src 'self'/);
    const html = await res.text();
    expect(html).not.toMatch(/Demo Inc|github-mcp-server|<script[^>]+src=|<link[^>]+href=/);
  });
});

/** A page signed in as `sub` by the fragment; console errors and page errors collected. */
async function openSignedIn(sub: string, width = 1280, query = "", token = tokenOf(sub)): Promise<{ page: Page; problems: string[]; requests: string[] }> {
  const page = await browser.newPage({ viewport: { width, height: 900 } });
  const problems: string[] = [];
  const requests: string[] = [];
  page.on("pageerror", (e) => problems.push(`pageerror: ${e.message}`));
  page.on("console", (m) => { if (m.type() === "error" && !/Failed to load resource: the server responded with a status of 4\d\d/.test(m.text())) problems.push(`console: ${m.text()}`); });
  page.on("request", (r) => requests.push(r.url()));
  await page.goto(signedInUrl(token, query));
  return { page, problems, requests };
}
const text = async (page: Page, selector: string) => (await page.locator(selector).first().textContent())?.trim();
const rowText = (page: Page, repo: string, cell: string) => text(page, `#repositories tr[data-repo="${repo}"] td.${cell}`);

/** Fails when the document is wider than the window: nothing may overflow sideways. */
async function expectNoOverflow(page: Page) {
  const [scroll, inner] = await page.evaluate(() => [document.documentElement.scrollWidth, window.innerWidth]);
  expect(scroll).toBeLessThanOrEqual(inner);
}

describe("the page in Chromium", () => {
  it("signs in by the fragment, keeps the session for the tab, and shows the numbers of the day's report", { timeout: 60_000 }, async () => {
    const { page, problems, requests } = await openSignedIn(ids.alice);
    await page.waitForSelector("#company-score");
    // The fragment is gone from the address bar, the session kept in sessionStorage.
    expect(page.url()).toBe(`${stack.current.functionsUrl}/dashboard`);
    expect(await page.evaluate(() => JSON.parse(sessionStorage.getItem("codeguard.dashboard.session") ?? "null")?.access_token)).toMatch(/^ey/);
    const c = todays.content;
    expect(await text(page, "#title")).toBe("CodeGuard — Demo Inc");
    expect(await text(page, "#company-score")).toBe(String(c.risk_summary.debt_score));
    expect(await text(page, "#score .zone")).toBe(c.risk_summary.risk_zone);
    expect(await text(page, "#period-score")).toBe(c.risk_summary.period_score === null ? "—" : String(c.risk_summary.period_score));
    await expectReportFigures(page, c);
    expect(await text(page, "#reviewed")).toBe(`${c.ai_usage_summary.reviewed_percentage}%`);
    expect(await text(page, "#open-alerts")).toBe(String(c.risk_summary.open_alert_count));
    expect(await page.locator("#alerts li.alert").count()).toBe(c.risk_summary.open_alerts.length);
    // Each with the report's "since".
    expect(await page.locator("#alerts li.alert .since").allTextContents())
      .toEqual(c.risk_summary.open_alerts.map((a) => ` — since ${new Date(a.since).toISOString().replace("T", " ").slice(0, 16)} UTC`));
    // Each with its history (opened, then what changed).
    expect(await page.locator("#alerts li.alert details.history").count()).toBe(c.risk_summary.open_alerts.length);
    if (c.risk_summary.open_alerts.length) expect(await page.locator("#alerts li.alert details.history li").first().textContent()).toMatch(/opened/);
    for (const r of c.repositories) {
      expect(await rowText(page, r.full_name, "score")).toBe(r.score === null ? "—" : String(r.score));

      expect(await rowText(page, r.full_name, "unreviewed")).toBe(String(r.unreviewed_ai_merges));
    }
    expect(await page.locator("#trend svg circle.score-point").count()).toBe(c.score_trend.filter((p) => p.score !== null).length);
    // Reloaded, the tab's session still opens it; nothing was fetched but the project's own functions.
    await page.reload();
    await page.waitForSelector("#company-score");
    expect(requests.every((u) => u.startsWith(stack.current.functionsUrl))).toBe(true);
    expect(problems).toEqual([]);
    await page.close();
  });

  it("opens signed in from the address codeguard dashboard prints for a member named by email; refuses a member the stack lacks", { timeout: 60_000 }, async () => {
    // The stack's keys where the command reads them (CODEGUARD_DATA_DIR), as npm start keeps them.
    const dir = mkdtempSync(join(tmpdir(), "cg-dashboard-cli-"));
    const k = stack.current.keys;
    writeFileSync(join(dir, "jwt-secret"), `${k.jwtSecret}\n`);
    writeFileSync(join(dir, "keys.json"), JSON.stringify({ publishableKey: k.publishableKey, secretKey: k.secretKey, signingKey: k.signingKey }));
    const env = { ...process.env, CODEGUARD_URL: stack.current.apiUrl, SUPABASE_DB_URL: stack.current.dbUrl, CODEGUARD_DATA_DIR: dir, DISPLAY: "" };
    const cli = (...args: string[]) => promisify(execFile)(process.execPath, ["--import", "tsx", join(REPO_ROOT, "src/cli/main.ts"), "dashboard", ...args], { cwd: REPO_ROOT, env });
    try {
      const { stdout, stderr } = await cli("--user", "ALICE@demo.example", "--no-open");
      expect(stderr).toMatch(/signed in as alice@demo.example for 12 h/);
      const url = stdout.trim();
      expect(url).toMatch(new RegExp(`^${stack.current.apiUrl}/functions/v1/dashboard#access_token=ey[^&]+&token_type=bearer&expires_in=43200&expires_at=\\d+`));
      const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
      await page.goto(url);
      await page.waitForSelector("#company-score");
      expect(await text(page, "#title")).toBe("CodeGuard — Demo Inc");
      await page.close();
      const refused = await cli("--user", "nobody@demo.example").then(() => null, (e: { code: number; stderr: string }) => e);
      expect(refused?.code).toBe(2);
      expect(refused?.stderr).toMatch(/no member nobody@demo.example on this stack/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("works as a standalone file calling the project (the download for hosting elsewhere), through CORS", { timeout: 60_000 }, async () => {
    const res = await api("/standalone.html");
    expect(res.headers.get("content-disposition")).toMatch(/attachment; filename="codeguard-dashboard.html"/);
    const file = join(SHOTS, "dashboard-standalone.html");
    writeFileSync(file, await res.text());
    // The preflight a browser sends before a call with Authorization from another origin.
    const preflight = await fetch(`${stack.current.functionsUrl}/enqueue-scan`, {
      method: "OPTIONS", headers: { origin: "https://intranet.example", "access-control-request-method": "POST", "access-control-request-headers": "authorization, apikey, content-type" } });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get("access-control-allow-headers")).toMatch(/authorization/);
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const problems: string[] = [];
    page.on("pageerror", (e) => problems.push(`pageerror: ${e.message}`));
    page.on("console", (m) => { if (m.type() === "error") problems.push(`console: ${m.text()}`); });
    await page.goto(`file://${file}#access_token=${tokenOf(ids.alice)}&token_type=bearer&expires_in=3600`);
    await page.waitForSelector("#company-score");
    expect(await text(page, "#company-score")).toBe(String(todays.content.risk_summary.debt_score));
    expect(await page.locator("#repositories tbody tr").count()).toBe(todays.content.repositories.length);
    expect(problems).toEqual([]);
    await page.close();
  });

  it("shows the demo week's report as of its last day, sorts the table, opens a repository's view; at 1280 and 390 px without overflow", { timeout: 60_000 }, async () => {
    for (const width of [1280, 390]) {
      const { page, problems } = await openSignedIn(ids.alice, width, `?period_end=${demoWeekEnd}`);
      await page.waitForSelector("#company-score");
      const c = demoWeek.content;
      await expectReportFigures(page, c);
      expect(await text(page, "#total-loc")).toBe(String(c.ai_usage_summary.total_loc));
      expect(await text(page, "#unreviewed")).toBe(String(c.technical_debt_signals.unreviewed_ai_merges));
      expect(await page.locator("#agents tr[data-agent]").count()).toBeGreaterThan(0);
      await expectNoOverflow(page);
      await page.screenshot({ path: join(SHOTS, `dashboard-${width}.png`), fullPage: true });
      if (width === 1280) {
        // Sorting by name, both ways.
        await page.click('th[data-sort="full_name"]');
        expect(await page.locator("#repositories tbody tr").evaluateAll((rows) => rows.map((r) => r.getAttribute("data-repo")))).toEqual(["github/github-mcp-server", "terryyin/lizard"]);
        await page.click('th[data-sort="full_name"]');
        expect(await page.locator("#repositories tbody tr").evaluateAll((rows) => rows.map((r) => r.getAttribute("data-repo")))).toEqual(["terryyin/lizard", "github/github-mcp-server"]);
      }
      await page.click('#repositories a:text("github/github-mcp-server")');
      await page.waitForSelector("#riskiest-prs tr[data-pr]");
      expect(page.url()).toContain(`repo=${ids.mcp}`);
      // The repository's band and coverage: the report's row for it.
      const origin = c.ai_origins!.repositories.find((x) => x.full_name === "github/github-mcp-server")!;
      expect(await text(page, "#repo-band")).toContain(`${origin.floor_percentage}% to ${origin.ceiling_percentage}%`);
      // Its riskiest PRs in the JSON's order (the report's rule, checked against the report's SQL above).
      const { repository } = (await (await api(`/api/repository?id=${ids.mcp}&period_end=${demoWeekEnd}`, asMember(ids.alice))).json()) as { repository: { riskiest_prs: { number: number }[] } };
      expect(await page.locator("#riskiest-prs tr[data-pr]").evaluateAll((rows) => rows.map((r) => Number(r.getAttribute("data-pr")))))
        .toEqual(repository.riskiest_prs.map((p) => p.number));
      const link = await page.locator("#riskiest-prs tr[data-pr] a").first().getAttribute("href");
      expect(link).toMatch(/^https:\/\/github\.com\/github\/github-mcp-server\/pull\/\d+$/);
      expect(await page.locator("#authors tbody tr").count()).toBeGreaterThan(0);
      await expectNoOverflow(page);
      await page.screenshot({ path: join(SHOTS, `dashboard-repository-${width}.png`), fullPage: true });
      await page.goBack();
      await page.waitForSelector("#repositories");
      expect(problems).toEqual([]);
      await page.close();
    }
  });

  it("runs a scan from its button, shows it to the end, and reads the numbers again", { timeout: 240_000 }, async () => {
    const { page, problems } = await openSignedIn(ids.alice);
    await page.waitForSelector("#company-score");
    expect(await rowText(page, "terryyin/lizard", "score")).toBe("—");
    await page.click('#repositories tr[data-repo="terryyin/lizard"] button.run-full');
    await page.waitForSelector('#banner .notice:has-text("Scan of terryyin/lizard")');
    // Its progress, then its end, then the score its completion brings (calculate_scores follows it).
    await page.waitForSelector('#repositories tr[data-repo="terryyin/lizard"] .status.completed', { timeout: 180_000 });
    await page.waitForFunction(() => document.querySelector('#repositories tr[data-repo="terryyin/lizard"] td.score')?.textContent !== "—", null, { timeout: 60_000 });
    await queueIdle();
    const [latest] = await sql`select score::float8 as score from ai_debt_scores where company_id = ${DEMO_COMPANY} and repository_id is null order by calculated_at desc limit 1`;
    await page.waitForFunction((s) => document.querySelector("#company-score")?.textContent === String(s), latest.score, { timeout: 60_000 });
    const [lizard] = await sql`select score::float8 as score from ai_debt_scores where repository_id = ${ids.lizard} order by calculated_at desc limit 1`;
    expect(await rowText(page, "terryyin/lizard", "score")).toBe(String(lizard.score));
    expect(problems).toEqual([]);
    await page.close();
  });

  it("cancels a scan while it waits, and says so", { timeout: 120_000 }, async () => {
    // No dispatch while it runs: the scan stays queued until the member cancels it.
    await sql`delete from vault.secrets where name = 'project_url'`;
    try {
      const { page, problems } = await openSignedIn(ids.alice);
      await page.waitForSelector("#company-score");
      await page.click('#repositories tr[data-repo="github/github-mcp-server"] button.run-incremental');
      await page.waitForSelector('#scans tr .status.queued');
      await page.click("#scans button.cancel");
      await page.waitForSelector('#banner .notice:has-text("cancelled")');
      await page.waitForSelector('#repositories tr[data-repo="github/github-mcp-server"] .status.cancelled');
      const [job] = await sql`select status from scan_queue where repository_id = ${ids.mcp} and scan_type = 'incremental_scan' order by created_at desc limit 1`;
      expect(job.status).toBe("cancelled");
      expect(problems).toEqual([]);
      await page.close();
    } finally {
      await sql`select public.set_dispatch_secret('project_url', ${stack.current.apiUrl})`;
    }
  });

  it("refreshes a session about to expire at Auth's token endpoint, asks again when Auth refuses, and signs in by password", { timeout: 60_000 }, async () => {
    // Supabase Auth's token endpoint, answered in the browser (the local stack has no Auth server):
    // what it receives is checked, and it hands out a session signed with the project's key.
    const asked: { grant: string | null; body: Record<string, string> }[] = [];
    const apikeys = new Set<string | undefined>();
    let refuse = false;
    const auth = async (page: Page) => page.route("**/auth/v1/token?**", async (route) => {
      const req = route.request();
      asked.push({ grant: new URL(req.url()).searchParams.get("grant_type"), body: JSON.parse(req.postData() ?? "{}") });
      apikeys.add(req.headers()["apikey"]);
      if (refuse) return route.fulfill({ status: 400, contentType: "application/json", body: JSON.stringify({ error: "invalid_grant", error_description: "Invalid Refresh Token: Already Used" }) });
      return route.fulfill({ status: 200, contentType: "application/json",
        body: JSON.stringify({ access_token: tokenOf(ids.alice), token_type: "bearer", expires_in: 3600, refresh_token: "refresh-2" }) });
    });
    // A session that expires within the minute: refreshed before the first call.
    const soon = Math.floor(Date.now() / 1000) + 20;
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await auth(page);
    await page.goto(`${stack.current.functionsUrl}/dashboard#access_token=${tokenOf(ids.alice, 20)}&refresh_token=refresh-1&expires_at=${soon}&token_type=bearer`);
    await page.waitForSelector("#company-score");
    expect(asked).toEqual([{ grant: "refresh_token", body: { refresh_token: "refresh-1" } }]);
    expect(await page.evaluate(() => JSON.parse(sessionStorage.getItem("codeguard.dashboard.session")!).refresh_token)).toBe("refresh-2");
    // Auth refuses the next refresh: the page asks to sign in, then signs in by password.
    refuse = true;
    await page.evaluate(() => {
      const s = JSON.parse(sessionStorage.getItem("codeguard.dashboard.session")!);
      sessionStorage.setItem("codeguard.dashboard.session", JSON.stringify({ ...s, expires_at: Math.floor(Date.now() / 1000) + 5 }));
    });
    await page.click("#today");
    await page.waitForSelector("#signin-reason");
    expect(await text(page, "#signin-reason")).toMatch(/session has expired/);
    refuse = false;
    await page.fill('#signin input[name="email"]', "alice@demo.example");
    await page.fill('#signin input[name="password"]', "correct horse");
    await page.click('#signin button[type="submit"]');
    await page.waitForSelector("#company-score");
    expect(asked.at(-1)).toEqual({ grant: "password", body: { email: "alice@demo.example", password: "correct horse" } });
    expect([...apikeys]).toEqual([stack.current.keys.publishableKey]);
    await page.close();
  });

  it("asks to sign in again for an expired or foreign session, and shows another company's member none of this company", { timeout: 60_000 }, async () => {
    for (const token of [tokenOf(ids.alice, -60), signUserJwt(makeLocalKeys(), { sub: ids.alice })]) {
      const { page, problems } = await openSignedIn(ids.alice, 1280, "", token);
      await page.waitForSelector("#signin-reason");
      expect(await text(page, "#signin-reason")).toMatch(/session (has expired|was refused)/);
      expect(await page.locator("#company-score").count()).toBe(0);
      expect(problems).toEqual([]);
      await page.close();
    }
    const { page, problems } = await openSignedIn(ids.bob);
    await page.waitForSelector("#title:has-text('Others Ltd')");
    await page.waitForSelector("#repositories");
    const body = await page.content();
    for (const secret of ["Demo Inc", "github-mcp-server", "lizard"]) expect(body).not.toContain(secret);
    // Bob given the address of this company's repository: refused in words.
    await page.goto(`${stack.current.functionsUrl}/dashboard?repo=${ids.mcp}`);
    await page.waitForSelector("#banner .notice.error");
    expect(await text(page, "#banner")).toMatch(/belongs to another company/);
    expect(problems).toEqual([]);
    await page.close();
  });

  it("says so when the member was removed, the repository deleted meanwhile, or the functions cannot be reached", { timeout: 60_000 }, async () => {
    const { page, problems } = await openSignedIn(ids.carol);
    await page.waitForSelector("#company-score");
    // A repository deleted while the page shows it: its Run scan answers in words, and the list is read again.
    const [extra] = await sql`insert into repositories (company_id, full_name) values (${DEMO_COMPANY}, 'demo/short-lived') returning id`;
    await page.click("#today");
    await page.waitForSelector('#repositories tr[data-repo="demo/short-lived"]');
    await sql`delete from repositories where id = ${extra.id}`;
    await page.click('#repositories tr[data-repo="demo/short-lived"] button.run-full');
    await page.waitForSelector('#banner .notice.error:has-text("no longer in your company")');
    await page.waitForFunction(() => !document.querySelector('#repositories tr[data-repo="demo/short-lived"]'));
    // The functions unreachable (the browser's network refuses): a message and a way to try again.
    await page.route("**/dashboard/api/**", (route) => route.abort("connectionrefused"));
    await page.click("#today");
    await page.waitForSelector("#banner .notice.error #retry");
    expect(await text(page, "#banner")).toMatch(/cannot be reached/);
    await page.unroute("**/dashboard/api/**");
    await page.click("#retry");
    await page.waitForFunction(() => !document.querySelector("#banner .notice.error"));
    // Removed from the company: the next read says so, and the session is dropped.
    await sql`delete from users where id = ${ids.carol}`;
    await page.click("#today");
    await page.waitForSelector('#banner .notice.error:has-text("not a member")');
    expect(await page.evaluate(() => sessionStorage.getItem("codeguard.dashboard.session"))).toBeNull();
    expect(problems.filter((p) => !/ERR_CONNECTION_REFUSED|Failed to load resource/.test(p))).toEqual([]);
    await page.close();
  });
});
