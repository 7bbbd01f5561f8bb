// The report's HTML page in a real browser (Debian's chromium, headless): it opens from a file
// with no console error, no failed or outside request, and draws the score trend; a screenshot is
// kept in .codeguard/report-page.png for a person to look at.
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { chromium, type Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { REPO_ROOT } from "../../src/local/migrate.ts";
import { generateWeeklyReport } from "../../supabase/functions/_shared/reports/weekly-report.ts";
import { useTestDatabase } from "../harness/db.ts";
import { acmeWeek } from "./acme-week.ts";

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
    writeFileSync(file, report.html);

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
    expect(await page.locator("#score b").textContent()).toBe("55.5");
    expect(await page.locator("#repositories tbody tr").count()).toBe(1);
    expect(await page.locator("#unreviewed tbody tr td").nth(2).textContent()).toBe("Rewrite the parser");
    await page.screenshot({ path: join(dir, "report-page.png"), fullPage: true });
    await page.close();
  }, 60_000);
});
