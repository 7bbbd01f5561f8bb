// The report's HTML page in a real browser (Debian's chromium, headless): it opens from a file
// with no console error, no failed or outside request, and draws the score trend; at 1280 px and
// on a phone (390 px) it shows the 12-week trend, the per-agent shares, the open alerts and the PR
// links, and nothing is wider than the viewport. Screenshots are kept in .codeguard/ for a person
// to look at.
import { existsSync, mkdirSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { chromium, type Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { REPO_ROOT } from "../../src/local/migrate.ts";
import { generateWeeklyReport } from "../../supabase/functions/_shared/reports/weekly-report.ts";
import { useTestDatabase } from "../harness/db.ts";
import { acmeWeek } from "./acme-week.ts";
import { addCommit, addPullRequest, completedScan } from "../governance/fixtures.ts";

/** Whole or not at all: another test run in this checkout may be writing the same page meanwhile, and the browser must read one whole page. */
function writeAtomically(file: string, text: string): void {
  writeFileSync(`${file}.${process.pid}`, text);
  renameSync(`${file}.${process.pid}`, file);
}

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const tdb = useTestDatabase();
let browser: Browser;

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`no chromium at ${CHROMIUM}: apt-get install -y chromium (or set CHROMIUM_PATH)`);
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking", "--no-first-run"],
  });
}, 60_000);

afterAll(async () => {
  await browser?.close();
});

describe("the report page", () => {
  it("opens with no console error or request beyond itself and draws the trend and the table", async () => {
    const { companyId } = await acmeWeek(tdb.current.sql);
    await generateWeeklyReport(tdb.current.db, { companyId, periodEnd: "2026-11-22" });
    const report = await generateWeeklyReport(tdb.current.db, { companyId, periodEnd: "2026-11-29" });
    const dir = join(REPO_ROOT, ".codeguard");
    mkdirSync(dir, { recursive: true });
    const file = join(dir, "report-page.html");
    writeAtomically(file, report.html);

    const page = await browser.newPage({ viewport: { width: 1000, height: 1400 } });
    const problems: string[] = [];
    const requests: string[] = [];
    page.on("console", (m) => { if (m.type() === "error" || m.type() === "warning") problems.push(`${m.type()}: ${m.text()}`); });
    page.on("pageerror", (e) => problems.push(`pageerror: ${e.message}`));
    page.on("requestfailed", (r) => problems.push(`failed: ${r.url()}`));
    page.on("request", (r) => requests.push(r.url()));
    await page.goto(`file://${file}`, { waitUntil: "load" });

    expect(problems).toEqual([]);
    expect(requests).toEqual([`file://${file}`]);
    expect(await page.title()).toBe("AI governance report — Acme — 2026-11-23");
    // The trend: one line through the two scored weeks, a point each, the dashed threshold.
    const line = page.locator("#trend svg polyline.score-line");
    expect(await line.count()).toBe(1);
    expect((await line.getAttribute("points"))!.trim().split(/\s+/)).toHaveLength(2);
    expect(await page.locator("#trend svg circle.score-point").count()).toBe(2);
    expect(await page.locator("#trend svg line.threshold").count()).toBe(1);
    const box = await page.locator("#trend svg").boundingBox();
    expect(box!.width).toBeGreaterThan(600);
    expect(box!.height).toBeGreaterThan(200);
    expect(await page.locator("#score b").textContent()).toBe("70");
    expect(await page.locator("#period-score b").textContent()).toBe("55.5");
    expect(await page.locator("#repositories tbody tr").count()).toBe(1);
    expect(await page.locator("#unreviewed tbody tr td").nth(1).textContent()).toBe("Rewrite the parser");
    await page.screenshot({ path: join(dir, "report-page.png"), fullPage: true });
    await page.close();
  }, 60_000);
});

/** A company scanned on its first day: 14 weeks of history, scored, its trend backfilled, alerts raised. */
async function firstDayCompany(sql: import("postgres").Sql): Promise<string> {
  const now = new Date(Date.now());
  const day = 86_400_000;
  const [{ id: companyId }] = await sql`insert into public.companies (name, settings) values ('Phone & Desk Ltd', '{"scan_window_days": 90}') returning id`;
  for (const [name, aiShare] of [["desk/a-repository-with-a-rather-long-name-for-narrow-screens", 0.7], ["desk/tools", 0.2]] as const) {
    const [{ id: repositoryId }] = await sql`insert into public.repositories (company_id, full_name) values (${companyId}, ${name}) returning id`;
    const ids = { companyId, repositoryId, scanId: await completedScan(sql, companyId, repositoryId, now) };
    for (let d = 1; d < 98; d += 2) {
      const ai = (d * 7) % 10 < aiShare * 10;
      await addCommit(sql, ids, { verdict: ai ? "attested" : "human", counted: 40 + (d % 9) * 10, ai: ai ? 40 + (d % 9) * 10 : 0,
        authoredAt: new Date(now.getTime() - d * day), author: ai ? "agent-user" : `dev${d % 3}`,
        files: [{ path: `src/f${d % 5}.ts`, added: 40, deleted: d % 4 }] });
    }
    for (let k = 1; k <= 12; k++) {
      await addPullRequest(sql, ids, { number: k, ai: true, reviewed: k % 3 === 0, additions: k % 4 === 0 ? 650 : 120,
        title: `Agent change ${k}: a title long enough to wrap on a phone screen`, createdAt: new Date(now.getTime() - (k + 1) * day),
        mergedAt: k % 5 === 0 ? null : new Date(now.getTime() - k * day) });
    }
  }
  // The AI commits alternate between two agents, in time order, so every week has both.
  await sql`update public.scan_results x set agents = case when o.n % 2 = 0 then '{claude-code}'::text[] else '{copilot}'::text[] end
            from (select repository_id, commit_sha, row_number() over (partition by repository_id order by authored_at) as n
                  from public.scan_results where company_id = ${companyId} and verdict = 'attested' and path = '') o
            where x.repository_id = o.repository_id and x.commit_sha = o.commit_sha`;
  await sql`select public.calculate_ai_debt_score(${companyId}, r.id) from public.repositories r where r.company_id = ${companyId}`;
  await sql`select public.calculate_ai_debt_score(${companyId})`;
  await sql`select public.backfill_ai_debt_trend(${companyId})`;
  await sql`select public.evaluate_company_alerts(${companyId})`;
  return companyId;
}

describe("the report page on a desk and on a phone", () => {
  it("shows the 12-week trend, the agents' shares, the open alerts and the PR links, nothing wider than the viewport", async () => {
    const sql = tdb.current.sql;
    const companyId = await firstDayCompany(sql);
    // Last week's report, as Monday's schedule makes it.
    const sunday = new Date(Date.now() - (((new Date().getUTCDay() + 6) % 7) + 1) * 86_400_000).toISOString().slice(0, 10);
    const report = await generateWeeklyReport(tdb.current.db, { companyId, periodEnd: sunday });
    const [{ open }] = await sql<{ open: number }[]>`select count(*)::int as open from public.alerts where company_id = ${companyId} and status = 'open'`;
    expect(open).toBeGreaterThan(0);
    const dir = join(REPO_ROOT, ".codeguard");
    mkdirSync(dir, { recursive: true });
    const file = join(dir, "report-page-first-day.html");
    writeAtomically(file, report.html);

    for (const [width, name] of [[1280, "desk"], [390, "phone"]] as const) {
      const page = await browser.newPage({ viewport: { width, height: 900 } });
      await page.goto(`file://${file}`, { waitUntil: "load" });
      // Twelve weekly points on the trend from the first day (backfilled from the stored rows).
      expect(await page.locator("#trend svg circle.score-point").count()).toBe(12);
      expect(await page.locator("#agents tbody tr").count()).toBe(2);
      expect(await page.locator("#agents tbody").textContent()).toMatch(/claude-code[\s\S]*%/);
      expect(await page.locator("#open-alerts tbody tr").count()).toBe(open);
      expect(await page.locator("#alerts b").textContent()).toBe(String(open));
      const links = await page.locator("#riskiest a").evaluateAll((as) => as.map((a) => (a as HTMLAnchorElement).href));
      expect(links.length).toBeGreaterThan(0);
      expect(links.every((h) => /^https:\/\/github\.com\/desk\/[\w.-]+\/pull\/\d+$/.test(h))).toBe(true);
      // Nothing wider than the viewport: the page does not scroll sideways, and no element but
      // the tables inside their own scrolling boxes reaches past its right edge.
      const overflow = await page.evaluate((w) => {
        const out: string[] = [];
        if (document.documentElement.scrollWidth > w) out.push(`page ${document.documentElement.scrollWidth}px`);
        for (const el of Array.from(document.body.querySelectorAll("*"))) {
          if (el.closest(".scroll")) continue;
          const r = el.getBoundingClientRect();
          if (r.right > w + 0.5) out.push(`${el.tagName.toLowerCase()}#${el.id} ends at ${Math.round(r.right)}px`);
        }
        return out;
      }, width);
      expect(overflow).toEqual([]);
      const scrollers = await page.locator(".scroll").evaluateAll((els) => els.map((e) => e.getBoundingClientRect().right));
      expect(scrollers.every((r) => r <= width + 0.5)).toBe(true);
      await page.screenshot({ path: join(dir, `report-page-${name}.png`), fullPage: true });
      await page.close();
    }
    // And it prints: the print stylesheet lays it out on A4 without error.
    const page = await browser.newPage();
    await page.goto(`file://${file}`, { waitUntil: "load" });
    const pdf = await page.pdf({ format: "A4" });
    expect(pdf.subarray(0, 5).toString()).toBe("%PDF-");
    await page.close();
  }, 90_000);
});
