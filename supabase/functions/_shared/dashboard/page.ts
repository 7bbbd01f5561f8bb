/**
 * The dashboard's page: one HTML document, its styles and its script inline (client.ts, the
 * function's own source, so no build step and nothing fetched at run time). It holds no data: the
 * script takes the member's session from Supabase Auth's redirect (the URL fragment) or the tab's
 * sessionStorage and reads the JSON of the dashboard function with it.
 */
import { dashboardClient } from "./client.ts";

export interface PageConfig {
  /** The project's publishable key (public), sent to Auth for a sign-in or a refresh. */
  publishableKey: string | null;
  /**
   * The project's URL for a page served from elsewhere (the standalone file): its functions and
   * Auth are there. Null for the page the function serves, which calls its own origin.
   */
  projectUrl: string | null;
}

const STYLES = `
:root { --fg: #1d2433; --muted: #5f6b7a; --line: #e3e7ee; --bg: #f6f8fb; --card: #fff; --accent: #1565c0;
  --low: #2e7d32; --moderate: #b58100; --high: #ef6c00; --critical: #c62828; --unknown: #757575; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg); background: var(--bg); }
header { display: flex; flex-wrap: wrap; gap: 8px 16px; align-items: center; justify-content: space-between; padding: 12px 20px; background: #0f2744; color: #fff; }
header h1 { font-size: 17px; margin: 0; font-weight: 600; }
header .tools { display: flex; flex-wrap: wrap; gap: 8px; align-items: center; font-size: 13px; }
header input { font: inherit; padding: 3px 6px; border-radius: 4px; border: 1px solid #8aa; }
header button, header a { color: #fff; }
main { max-width: 1320px; margin: 0 auto; padding: 16px 20px 40px; }
#banner:empty { display: none; }
.notice { padding: 10px 14px; border-radius: 6px; margin: 0 0 12px; border: 1px solid; }
.notice.error { background: #fdecea; border-color: #f5c2bd; color: #7f1d1d; }
.notice.info { background: #e8f1fb; border-color: #b9d3f0; color: #0d3c6e; }
.notice.ok { background: #eaf6ec; border-color: #b7dfbf; color: #1b5e20; }
.cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(220px, 1fr)); gap: 12px; margin-bottom: 16px; }
.card, section { background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 14px 16px; min-width: 0; }
section { margin-bottom: 16px; }
section h2, .card h2 { font-size: 13px; text-transform: uppercase; letter-spacing: .04em; color: var(--muted); margin: 0 0 8px; font-weight: 600; }
.repo-name { font-size: 16px; font-weight: 600; margin-bottom: 4px; overflow-wrap: anywhere; }
.big { font-size: 30px; font-weight: 700; line-height: 1.1; }
.sub { color: var(--muted); font-size: 12.5px; }
.zone { display: inline-block; padding: 1px 8px; border-radius: 10px; color: #fff; font-size: 12px; font-weight: 600; vertical-align: middle; }
.zone.low { background: var(--low); } .zone.moderate { background: var(--moderate); } .zone.high { background: var(--high); }
.zone.critical { background: var(--critical); } .zone.unknown { background: var(--unknown); }
.sev { font-weight: 600; text-transform: uppercase; font-size: 11.5px; }
.sev.critical, .sev.high { color: var(--critical); } .sev.medium { color: var(--high); } .sev.low { color: var(--muted); }
.scroll { overflow-x: auto; -webkit-overflow-scrolling: touch; }
table { border-collapse: collapse; width: 100%; font-size: 13px; }
th, td { text-align: left; padding: 6px 8px; border-bottom: 1px solid var(--line); white-space: nowrap; }
td.wrap, th.wrap { white-space: normal; min-width: 160px; }
th { color: var(--muted); font-weight: 600; font-size: 12px; }
th.sortable { cursor: pointer; user-select: none; }
th.sortable[aria-sort="ascending"]::after { content: " ▲"; } th.sortable[aria-sort="descending"]::after { content: " ▼"; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
a { color: var(--accent); }
button { font: inherit; font-size: 12.5px; padding: 3px 9px; border-radius: 4px; border: 1px solid #9fb3c8; background: #fff; color: var(--fg); cursor: pointer; }
button:disabled { opacity: .5; cursor: default; }
button.primary { background: var(--accent); border-color: var(--accent); color: #fff; }
header button { background: transparent; border-color: #6d89a8; }
.bar { display: inline-block; width: 80px; height: 8px; background: #e3e7ee; border-radius: 4px; overflow: hidden; vertical-align: middle; margin-right: 6px; }
.bar > i { display: block; height: 100%; background: var(--accent); }
.coverage-bar { display: flex; width: 100%; height: 10px; margin: 6px 0 2px; background: #e3e7ee; border-radius: 4px; overflow: hidden; }
.coverage-bar > i { display: block; height: 100%; }
.coverage-bar > i.recorded { background: #2e7d32; } .coverage-bar > i.attested { background: #1565c0; }
.coverage-bar > i.suspected { background: #f9a825; } .coverage-bar > i.unknown { background: #bdbdbd; }
.status { font-weight: 600; } .status.failed { color: var(--critical); } .status.cancelled { color: var(--muted); }
.status.completed { color: var(--low); } .status.running, .status.queued { color: var(--accent); }
.trend svg { width: 100%; height: auto; max-height: 240px; display: block; }
.signin { max-width: 420px; margin: 40px auto; }
.signin form { display: grid; gap: 8px; margin: 10px 0; }
.signin input { font: inherit; padding: 7px 9px; border: 1px solid #9fb3c8; border-radius: 5px; }
.signin button { padding: 7px; }
code { background: #eef1f5; padding: 1px 4px; border-radius: 3px; font-size: 12.5px; }
.grid2 { display: grid; grid-template-columns: repeat(auto-fit, minmax(320px, 1fr)); gap: 16px; margin-bottom: 16px; }
.grid2 > section { margin-bottom: 0; }
@media (max-width: 600px) { main { padding: 12px 10px 30px; } header { padding: 10px 12px; } .big { font-size: 26px; } .grid2 { grid-template-columns: 1fr; } }
`;

const attr = (s: string) => s.replace(/&/g, "&amp;").replace(/"/g, "&quot;").replace(/</g, "&lt;");
const escapeScript = (s: string) => s.replace(/<\/(script)/gi, "<\\/$1").replace(/<!--/g, "<\\!--");

export function dashboardPage(config: PageConfig): string {
  // The client is a function of this module, sent as its own source text and called with the config.
  const script = `(${dashboardClient.toString()})(${JSON.stringify(config)});`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">${config.projectUrl ? `\n<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:; connect-src ${attr(config.projectUrl)}; base-uri 'none'; form-action 'none'">` : ""}
<title>CodeGuard dashboard</title>
<style>${STYLES}</style>
</head>
<body>
<header><h1 id="title">CodeGuard</h1><div class="tools" id="tools"></div></header>
<main><div id="banner" role="status" aria-live="polite"></div><div id="view"><p class="sub">Loading…</p></div></main>
<noscript><p style="padding:20px">The dashboard needs JavaScript.</p></noscript>
<script>${escapeScript(script)}</script>
</body>
</html>
`;
}
