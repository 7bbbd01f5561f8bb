// @ts-nocheck -- the page's script: it runs in the member's browser (DOM), not under Deno. page.ts
// sends this function's own source text inside the page, so it must stay self-contained: no
// imports, nothing of this module's scope, plain browser JavaScript (the TypeScript transpiler
// leaves such a function as it is). test/dashboard/dashboard.test.ts drives it in Chromium.
/**
 * The dashboard in the browser:
 *  - the session: Supabase Auth's redirect puts it in the URL fragment (#access_token=…&refresh_token=…
 *    &expires_at=…, as supabase-js's detectSessionInUrl reads it); it is kept in sessionStorage
 *    for the tab (gone when the tab closes), the fragment cleared from the address bar; refreshed
 *    with the refresh token near its expiry, else the page asks to sign in again;
 *  - the views: the company (?period_end=) and a repository (?repo=<id>), from the dashboard's JSON;
 *  - Run scan (enqueue-scan), its progress (scan-status, polled) and Cancel (cancel-scan), then the
 *    figures read again;
 *  - every failure said in words on the page: an expired or refused session, a member removed, a
 *    repository deleted meanwhile, the functions unreachable.
 */
export function dashboardClient(config) {
  "use strict";
  const SESSION_KEY = "codeguard.dashboard.session";
  // The function's own page calls its own origin; the standalone file (config.projectUrl) the project's.
  const functionsBase = config.projectUrl
    ? config.projectUrl + "/functions/v1"
    : location.pathname.replace(/\/+$/, "").replace(/\/index\.html$/, "").replace(/\/dashboard$/, "");
  const root = functionsBase + "/dashboard";
  const authBase = (config.projectUrl || location.origin) + "/auth/v1";
  const view = document.getElementById("view");
  const banner = document.getElementById("banner");
  const tools = document.getElementById("tools");
  const title = document.getElementById("title");

  class SignedOut extends Error {}
  class Unreachable extends Error {}
  class ApiError extends Error {
    constructor(status, code, message) {
      super(message);
      this.status = status;
      this.code = code;
    }
  }

  // ---- DOM helpers -------------------------------------------------------------------------
  function h(tag, attrs, ...children) {
    const el = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === null || v === undefined || v === false) continue;
      if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
      else if (k === "class") el.className = v;
      else el.setAttribute(k, v === true ? "" : String(v));
    }
    for (const c of children.flat(Infinity)) {
      if (c === null || c === undefined || c === false) continue;
      el.append(c instanceof Node ? c : String(c));
    }
    return el;
  }
  const svgNs = "http://www.w3.org/2000/svg";
  function s(tag, attrs, ...children) {
    const el = document.createElementNS(svgNs, tag);
    for (const [k, v] of Object.entries(attrs || {})) el.setAttribute(k, String(v));
    for (const c of children.flat()) if (c !== null && c !== undefined) el.append(c instanceof Node ? c : String(c));
    return el;
  }
  const show = (x, suffix = "") => (x === null || x === undefined ? "—" : String(x) + suffix);
  const when = (iso) => (iso ? new Date(iso).toISOString().replace("T", " ").slice(0, 16) + " UTC" : "—");
  const zone = (z) => h("span", { class: "zone " + (z || "unknown") }, z || "unknown");
  function notice(kind, text, extra, cls) {
    banner.replaceChildren(h("div", { class: "notice " + kind + (cls ? " " + cls : "") }, text, extra || null));
  }
  const clearNotice = () => banner.replaceChildren();
  /** A read that succeeded clears what a failed read said (an action's message stays until the next). */
  const clearLoadError = () => banner.querySelectorAll(".load-error").forEach((n) => n.remove());

  // ---- the session -------------------------------------------------------------------------
  function sessionFromFragment() {
    if (!location.hash || location.hash.length < 2) return null;
    const f = new URLSearchParams(location.hash.slice(1));
    const clean = () => history.replaceState(history.state, "", location.pathname + location.search);
    if (f.get("error") || f.get("error_description")) {
      clean();
      return { error: f.get("error_description") || f.get("error") };
    }
    const accessToken = f.get("access_token");
    if (!accessToken) return null;
    clean();
    const now = Math.floor(Date.now() / 1000);
    const session = {
      access_token: accessToken,
      refresh_token: f.get("refresh_token") || null,
      expires_at: Number(f.get("expires_at")) || now + (Number(f.get("expires_in")) || 3600),
    };
    sessionStorage.setItem(SESSION_KEY, JSON.stringify(session));
    return session;
  }
  function storedSession() {
    try {
      const v = JSON.parse(sessionStorage.getItem(SESSION_KEY) || "null");
      return v && typeof v.access_token === "string" ? v : null;
    } catch {
      return null;
    }
  }
  const forget = () => sessionStorage.removeItem(SESSION_KEY);
  function authHeaders(extra) {
    const headers = Object.assign({ "content-type": "application/json" }, extra || {});
    if (config.publishableKey) headers.apikey = config.publishableKey;
    return headers;
  }
  /** The session, refreshed when it is within a minute of expiring; null when there is none any more. */
  async function currentSession() {
    const session = storedSession();
    if (!session) return null;
    if (session.expires_at - 60 > Date.now() / 1000) return session;
    if (!session.refresh_token) {
      forget();
      return null;
    }
    let res;
    try {
      res = await fetch(authBase + "/token?grant_type=refresh_token", {
        method: "POST", headers: authHeaders(), body: JSON.stringify({ refresh_token: session.refresh_token }),
      });
    } catch {
      forget();
      return null;
    }
    const body = await res.json().catch(() => null);
    if (!res.ok || !body || !body.access_token) {
      forget();
      return null;
    }
    const next = {
      access_token: body.access_token, refresh_token: body.refresh_token || null,
      expires_at: body.expires_at || Math.floor(Date.now() / 1000) + (body.expires_in || 3600),
    };
    sessionStorage.setItem(SESSION_KEY, JSON.stringify(next));
    return next;
  }

  /** A call of the project's functions with the member's session; errors as SignedOut, Unreachable or ApiError. */
  async function call(path, init) {
    const session = await currentSession();
    if (!session) throw new SignedOut("Your session has expired: sign in again.");
    let res;
    try {
      res = await fetch(path, Object.assign({}, init || {}, { headers: authHeaders({ authorization: "Bearer " + session.access_token }) }));
    } catch {
      throw new Unreachable("The CodeGuard functions cannot be reached (" + (config.projectUrl ? functionsBase : location.origin + functionsBase) + "): check your connection, or whether the project is up.");
    }
    const body = await res.json().catch(() => null);
    const message = body && (body.error || body.message || body.msg);
    if (res.status === 401) {
      forget();
      throw new SignedOut("Your session was refused" + (message ? " (" + message + ")" : "") + ": it has expired or is not this project's. Sign in again.");
    }
    if (res.status >= 500 && !message) {
      throw new Unreachable("The CodeGuard functions answered " + res.status + ": the project may be starting or down. Try again in a moment.");
    }
    if (!res.ok) {
      const failure = new ApiError(res.status, body && body.code, message || "HTTP " + res.status);
      // A rate's 429 says when to ask again.
      failure.retryAfterSeconds = Number(res.headers.get("retry-after")) || null;
      throw failure;
    }
    if (!body) throw new Unreachable("The CodeGuard functions answered something that is not JSON (HTTP " + res.status + ").");
    return body;
  }

  // ---- the state and the routes -------------------------------------------------------------
  const state = { overview: null, repository: null, sort: { key: "score", dir: -1 }, watched: new Map(), timer: null, reloads: [] };
  const params = () => new URLSearchParams(location.search);
  function go(search) {
    history.pushState(null, "", location.pathname + search);
    route();
  }
  function queryWith(changes) {
    const p = params();
    for (const [k, v] of Object.entries(changes)) {
      if (v === null || v === undefined || v === "") p.delete(k);
      else p.set(k, v);
    }
    const q = p.toString();
    return q ? "?" + q : "";
  }

  function failed(e) {
    if (e instanceof SignedOut) return signIn(e.message);
    if (e instanceof Unreachable) {
      return notice("error", e.message + " ", h("button", { onclick: () => route(), id: "retry" }, "Try again"), "load-error");
    }
    if (e instanceof ApiError) {
      if (e.code === "not_member") {
        forget();
        view.replaceChildren();
        return notice("error", "You are not a member of a company on this project (or you were removed): " + e.message, null, "load-error");
      }
      return notice("error", e.message, null, "load-error");
    }
    notice("error", "Something went wrong on the page: " + (e && e.message ? e.message : String(e)), null, "load-error");
  }

  async function route() {
    const repo = params().get("repo");
    try {
      if (repo) await loadRepository(repo);
      else await loadOverview();
    } catch (e) {
      failed(e);
    }
  }

  async function loadOverview() {
    const periodEnd = params().get("period_end");
    const data = await call(root + "/api/overview" + (periodEnd ? "?period_end=" + encodeURIComponent(periodEnd) : ""));
    state.overview = data;
    state.repository = null;
    clearLoadError();
    renderTools(data);
    renderOverview(data);
    watchActive(data.company.recent_scans);
  }

  async function loadRepository(id) {
    const periodEnd = params().get("period_end");
    const q = "?id=" + encodeURIComponent(id) + (periodEnd ? "&period_end=" + encodeURIComponent(periodEnd) : "");
    let overview = state.overview;
    if (!overview || overview.periodEnd !== (periodEnd || overview.periodEnd)) {
      overview = await call(root + "/api/overview" + (periodEnd ? "?period_end=" + encodeURIComponent(periodEnd) : ""));
      state.overview = overview;
    }
    let data;
    try {
      data = await call(root + "/api/repository" + q);
    } catch (e) {
      if (e instanceof ApiError && (e.status === 404 || e.status === 403)) {
        notice("error", e.message + " ", h("a", { href: queryWith({ repo: null }), onclick: nav(queryWith({ repo: null })) }, "Back to the company"), "load-error");
        view.replaceChildren();
        return;
      }
      throw e;
    }
    state.repository = data.repository;
    clearLoadError();
    renderTools(overview);
    renderRepository(overview, data.repository);
    watchActive(data.repository.scans);
  }

  const nav = (search) => (ev) => {
    if (ev.metaKey || ev.ctrlKey || ev.shiftKey || ev.button !== 0) return;
    ev.preventDefault();
    go(search);
  };

  // ---- rendering ---------------------------------------------------------------------------
  function renderTools(data) {
    title.replaceChildren("CodeGuard — " + data.report.company.name);
    document.title = "CodeGuard — " + data.report.company.name;
    const input = h("input", { type: "date", id: "period-end", value: data.periodEnd, "aria-label": "As of the 7 days ending" });
    input.addEventListener("change", () => go(queryWith({ period_end: input.value })));
    tools.replaceChildren(
      h("label", {}, "7 days ending ", input),
      h("button", { id: "today", onclick: () => go(queryWith({ period_end: null })) }, "Today"),
      h("button", { id: "sign-out", onclick: () => { forget(); signIn("You signed out."); } }, "Sign out"),
    );
  }

  function trendChart(trend, threshold, label) {
    const w = 640, hgt = 200, left = 34, right = 22, top = 10, bottom = 28;
    const pw = w - left - right, ph = hgt - top - bottom;
    const x = (i) => left + (trend.length <= 1 ? pw / 2 : (i * pw) / (trend.length - 1));
    const y = (v) => top + ph - (Math.max(0, Math.min(100, v)) * ph) / 100;
    const svg = s("svg", { viewBox: "0 0 " + w + " " + hgt, role: "img", "aria-label": label });
    for (const v of [0, 25, 50, 75, 100]) {
      svg.append(s("line", { x1: left, x2: w - right, y1: y(v), y2: y(v), stroke: "#e3e7ee" }));
      svg.append(s("text", { x: left - 5, y: y(v) + 4, "text-anchor": "end", "font-size": 10, fill: "#5f6b7a" }, String(v)));
    }
    if (threshold !== null && threshold !== undefined) {
      svg.append(s("line", { class: "threshold", x1: left, x2: w - right, y1: y(threshold), y2: y(threshold), stroke: "#c62828", "stroke-dasharray": "6 4" }));
    }
    let run = [];
    const runs = [];
    trend.forEach((p, i) => {
      if (p.score === null || p.score === undefined) {
        if (run.length) runs.push(run);
        run = [];
      } else run.push(x(i).toFixed(1) + "," + y(p.score).toFixed(1));
    });
    if (run.length) runs.push(run);
    for (const r of runs) svg.append(s("polyline", { class: "score-line", points: r.join(" "), fill: "none", stroke: "#1565c0", "stroke-width": 2.5 }));
    trend.forEach((p, i) => {
      if (p.score !== null && p.score !== undefined) {
        svg.append(s("circle", { class: "score-point", cx: x(i).toFixed(1), cy: y(p.score).toFixed(1), r: 3.5, fill: "#1565c0" },
          s("title", {}, p.week_start + ": " + p.score)));
      }
      if (i % 2 === (trend.length - 1) % 2) {
        svg.append(s("text", { x: x(i).toFixed(1), y: hgt - bottom + 16, "text-anchor": "middle", "font-size": 10, fill: "#5f6b7a" }, p.week_start.slice(5)));
      }
    });
    if (runs.length === 0) svg.append(s("text", { x: left + pw / 2, y: top + ph / 2, "text-anchor": "middle", "font-size": 13, fill: "#757575" }, "not scored yet"));
    return svg;
  }

  /** The score's change: since the previous stored report when there is one (the report's figure), else week on week of the trend. */
  function scoreChange(report) {
    const c = report.change_since_previous;
    if (c && c.debt_score && c.debt_score.change !== null) return { change: c.debt_score.change, since: "since the report of the week of " + c.previous_period_start };
    const t = report.score_trend || [];
    const a = t.length > 1 ? t[t.length - 2].score : null;
    const b = t.length > 0 ? t[t.length - 1].score : null;
    if (a === null || b === null) return null;
    return { change: Math.round((b - a) * 10) / 10, since: "since the week before" };
  }

  function runButtons(repo) {
    return h("span", { class: "run" },
      h("button", { class: "run-full", "data-repo": repo.full_name, onclick: () => runScan(repo, "full_scan"), title: "A full scan of the scan window" }, "Full scan"), " ",
      h("button", { class: "run-incremental", "data-repo": repo.full_name, onclick: () => runScan(repo, "incremental_scan"), title: "What changed since the last scan" }, "Incremental"));
  }

  function scanCell(scan) {
    if (!scan) return h("span", { class: "sub" }, "never scanned");
    const live = scan.status === "queued" || scan.status === "running";
    return h("span", { class: "scan", "data-scan": scan.scanId },
      h("span", { class: "status " + scan.status }, scan.status), " ",
      live ? h("span", { class: "bar", title: scan.progress + "%" }, h("i", { style: "width:" + scan.progress + "%" })) : null,
      live ? scan.progress + "% " : when(scan.completedAt || scan.startedAt || scan.createdAt),
      scan.error ? h("div", { class: "sub error" }, scan.error) : null);
  }

  /** The coverage of the counted lines (the report's shares, summing to 100): a bar and its words. */
  function coverageBar(o) {
    const v = o.coverage;
    const parts = [["recorded", v.recorded_pct], ["attested", v.attested_pct], ["suspected", v.suspected_pct], ["unknown", v.unknown_pct]];
    return h("div", { id: "coverage" },
      h("div", { class: "coverage-bar", role: "img", "aria-label": parts.map(([k, x]) => k + " " + x + "%").join(", ") },
        parts.filter(([, x]) => x > 0).map(([k, x]) => h("i", { class: k, style: "width:" + x + "%", title: k + " " + x + "%" }))),
      h("div", { class: "sub" }, "origin of the " + o.total_loc + " counted lines: ",
        parts.map(([k, x], i) => [i ? ", " : "", k + " ", h("span", { "data-coverage": k }, x + "%")])));
  }

  /** AI pull requests as the report lists them (weekly_report_riskiest_prs): link, title, risk, agents, lines. */
  function prTable(list, withRepository, none) {
    if (!list || list.length === 0) return h("p", { class: "sub" }, none);
    const risk = (p) => [p.unreviewed_ai_merge ? "merged unreviewed" : p.human_reviewed ? "reviewed" : "not reviewed yet", p.large ? "400+ lines" : ""].filter(Boolean).join(", ");
    return h("div", { class: "scroll" }, h("table", {},
      h("thead", {}, h("tr", {}, h("th", {}, "PR"), h("th", { class: "wrap" }, "Title"), h("th", {}, "Risk"), h("th", {}, "Agents"), h("th", { class: "num" }, "Lines"), h("th", {}, "Merged"))),
      h("tbody", {}, list.map((p) => h("tr", { "data-pr": p.number, "data-repo": p.repository },
        h("td", {}, h("a", { href: p.url, target: "_blank", rel: "noopener noreferrer" }, (withRepository ? p.repository : "") + "#" + p.number)),
        h("td", { class: "wrap" }, p.title),
        h("td", { class: "risk" }, p.unreviewed_ai_merge ? h("span", { class: "sev high" }, risk(p)) : risk(p)),
        h("td", {}, (p.agents || []).join(", ") || "—"),
        h("td", { class: "num lines" }, "+" + p.additions),
        h("td", {}, p.merged_at ? when(p.merged_at) + (p.merged_by ? " by " + p.merged_by : "") : p.state))))));
  }

  function renderOverview(data) {
    const r = data.report;
    const u = r.ai_usage_summary;
    const risk = r.risk_summary;
    const sig = r.technical_debt_signals;
    const c = data.company;
    const byName = new Map(c.repositories.map((x) => [x.full_name, x]));
    const change = scoreChange(r);
    // The AI-LOC band, its coverage and the lines per agent and model: the report's ai_origins
    // (weekly_report_origins), never recomputed here — the page and the report show one figure.
    const o = r.ai_origins || null;
    const samples = risk.score_samples ? Object.values(risk.score_samples) : [];

    const cards = h("div", { class: "cards" },
      h("div", { class: "card", id: "score" },
        h("h2", {}, "AI-debt score"),
        h("div", { class: "big" }, h("b", { id: "company-score" }, show(risk.debt_score)), " ", zone(risk.risk_zone)),
        h("div", { class: "sub" }, "now (calculated " + when(risk.score_calculated_at) + "); as the 7 days ended ",
          h("span", { id: "period-score" }, show(risk.period_score)), " (" + (risk.period_risk_zone || "unknown") + ")"),
        h("div", { class: "sub", id: "score-change" }, change === null ? "no change to show yet" : (change.change > 0 ? "▲ " : change.change < 0 ? "▼ " : "± ") + Math.abs(change.change) + " " + change.since),
        samples.length ? h("div", { class: "sub", id: "score-samples" }, "score's sample: " + samples.join(", ")) : null,
        h("div", { class: "sub" }, "threshold " + r.company.risk_threshold + "; the company's score is not an average of its repositories'")),
      h("div", { class: "card", id: "ai-share" },
        h("h2", {}, "AI share of new lines"),
        o ? h("div", { class: "big" }, h("b", { id: "ai-loc" }, show(o.floor_percentage, "%")), " to ", h("b", { id: "ai-loc-ceiling" }, show(o.ceiling_percentage, "%")))
          : h("div", { class: "big" }, h("b", { id: "ai-loc" }, show(u.ai_loc_percentage, "%"))),
        o ? h("div", { class: "sub" }, "recorded by git-ai notes ", h("span", { id: "ai-loc-recorded" }, show(o.recorded_percentage, "%")),
          ", attested by agents' marks ", h("span", { id: "ai-loc-attested" }, show(o.attested_percentage, "%")), "; up to the ceiling with the suspected lines") : null,
        o ? coverageBar(o) : null,
        h("div", { class: "sub" }, h("span", { id: "total-loc" }, show(u.total_loc)), " counted lines in ", show(u.commits), " commits; assisted ", show(u.assisted_loc_percentage, "%"), " apart")),
      h("div", { class: "card", id: "review" },
        h("h2", {}, "Review coverage of merged AI PRs"),
        h("div", { class: "big" }, h("b", { id: "reviewed" }, show(u.reviewed_percentage, "%"))),
        h("div", { class: "sub" }, show(u.reviewed_ai_prs), " of ", show(u.merged_ai_prs), " merged AI PRs reviewed; ",
          h("span", { id: "unreviewed" }, show(sig.unreviewed_ai_merges)), " merged without review")),
      h("div", { class: "card", id: "alerts-card" },
        h("h2", {}, "Open alerts"),
        h("div", { class: "big" }, h("b", { id: "open-alerts" }, show(risk.open_alert_count))),
        h("div", { class: "sub" }, show(risk.high_severity_alerts), " high or critical, open as the figures were taken; ", show(risk.new_alerts), " raised in the 7 days")));

    const byAgent = o ? o.by_agent : [];
    const agents = h("section", { id: "agents" }, h("h2", {}, "AI lines per agent and model, 7 days ending " + data.periodEnd),
      byAgent.length === 0
        ? h("p", { class: "sub" }, "No recorded or attested AI lines in these 7 days (" + u.total_loc + " counted lines" + (o && o.coverage.suspected_pct > 0 ? "; suspected " + o.coverage.suspected_pct + "%" : "") + ").")
        : h("div", { class: "scroll" }, h("table", {},
          h("thead", {}, h("tr", {}, h("th", {}, "Agent"), h("th", {}, "Model"), h("th", { class: "num" }, "AI lines"), h("th", { class: "num", title: "of the counted lines" }, "Share"))),
          h("tbody", {},
            byAgent.map((a) => h("tr", { "data-agent": a.agent, "data-model": a.model || "" }, h("td", {}, a.agent), h("td", {}, a.model || "— (a mark)"),
              h("td", { class: "num lines" }, a.lines), h("td", { class: "num share" }, a.share_pct + "%"))),
            o.coverage.suspected_pct > 0 ? h("tr", { class: "suspected" }, h("td", {}, "suspected (no record, no mark)"), h("td", {}, "—"), h("td", { class: "num" }, "—"),
              h("td", { class: "num share" }, o.coverage.suspected_pct + "%")) : null))),
      h("p", { class: "sub" }, "The weekly report's figure: recorded lines are a git-ai note's, attested ones a marked commit's; a commit of two agents is split between them. Suspected lines carry neither and are never in the score."));

    const riskiest = h("section", { id: "company-riskiest-prs" }, h("h2", {}, "Riskiest AI pull requests, 7 days ending " + data.periodEnd),
      prTable(r.riskiest_prs, true, "No AI pull request opened or merged in these 7 days."));

    const columns = [
      { key: "full_name", label: "Repository", get: (x) => x.full_name.toLowerCase() },
      { key: "score", label: "Score", num: true, get: (x) => x.score },
      { key: "risk_zone", label: "Zone", get: (x) => ["low", "moderate", "high", "critical"].indexOf(x.risk_zone) },
      { key: "ai_loc_percentage", label: "AI share", num: true, get: (x) => x.ai_loc_percentage },
      { key: "review", label: "Review coverage", num: true, get: (x) => (x.merged_ai_prs ? x.reviewed_ai_prs / x.merged_ai_prs : null) },
      { key: "unreviewed_ai_merges", label: "Unreviewed AI merges", num: true, get: (x) => x.unreviewed_ai_merges },
      { key: "last_scan", label: "Last scan", get: (x) => (x.last_scan ? x.last_scan.createdAt : "") },
    ];
    // Each repository's band from the report's origins (the floor is its AI share, the same figure).
    const originOf = new Map(((o && o.repositories) || []).map((x) => [x.full_name, x]));
    const rows = r.repositories.map((x) => Object.assign({ origin: originOf.get(x.full_name) || null }, x, byName.get(x.full_name) || {}));
    const col = columns.find((k) => k.key === state.sort.key) || columns[1];
    rows.sort((a, b) => {
      const va = col.get(a), vb = col.get(b);
      if (va === vb) return a.full_name.localeCompare(b.full_name);
      if (va === null || va === undefined) return 1;
      if (vb === null || vb === undefined) return -1;
      return (va < vb ? -1 : 1) * state.sort.dir;
    });
    const head = h("tr", {}, columns.map((k) => h("th", {
      class: "sortable" + (k.num ? " num" : ""), "data-sort": k.key, tabindex: 0,
      "aria-sort": state.sort.key === k.key ? (state.sort.dir > 0 ? "ascending" : "descending") : null,
      onclick: () => {
        state.sort = { key: k.key, dir: state.sort.key === k.key ? -state.sort.dir : (k.num ? -1 : 1) };
        renderOverview(state.overview);
      },
    }, k.label)), h("th", {}, "Run scan"));
    const repos = h("section", { id: "repositories" }, h("h2", {}, "Repositories"),
      rows.length === 0 ? h("p", { class: "sub" }, "No active repositories: add one with codeguard repo add owner/name.") :
      h("div", { class: "scroll" }, h("table", {}, h("thead", {}, head), h("tbody", {}, rows.map((x) => h("tr", { "data-repo": x.full_name },
        h("td", { class: "name" }, x.id ? h("a", { href: queryWith({ repo: x.id }), onclick: nav(queryWith({ repo: x.id })) }, x.full_name) : x.full_name),
        h("td", { class: "num score" }, show(x.score)),
        h("td", { class: "zone-cell" }, zone(x.risk_zone)),
        h("td", { class: "num ai-share", title: x.origin ? "origin known for " + x.origin.known_percentage + "% of its lines; recorded by git-ai " + x.origin.recorded_percentage + "%" : null },
          show(x.ai_loc_percentage, "%"), x.origin ? h("span", { class: "ceiling" }, " to " + x.origin.ceiling_percentage + "%") : null),
        h("td", { class: "num review" }, x.merged_ai_prs ? Math.round((1000 * x.reviewed_ai_prs) / x.merged_ai_prs) / 10 + "% of " + x.merged_ai_prs : "— (none merged)"),
        h("td", { class: "num unreviewed" }, show(x.unreviewed_ai_merges)),
        h("td", { class: "last-scan" }, scanCell(x.last_scan)),
        h("td", {}, x.id ? runButtons(x) : null)))))),
      h("p", { class: "sub" }, "Score: the latest, now; AI share (to its ceiling with the suspected lines), review coverage and unreviewed merges: of these 7 days (the weekly report's figures)."));

    const alerts = h("section", { id: "alerts" }, h("h2", {}, "Open alerts"),
      risk.open_alerts.length === 0 ? h("p", { class: "sub" }, "None open.") :
      h("ul", {}, risk.open_alerts.map((a) => {
        const life = (c.alert_history || []).find((x) => x.category === a.category && x.title === a.title && (x.repository || null) === (a.repository || null));
        return h("li", { class: "alert" }, h("span", { class: "sev " + a.severity }, a.severity), " ", a.title,
          a.repository ? h("span", { class: "sub" }, " — " + a.repository) : null,
          h("span", { class: "sub since" }, " — since " + when(a.since)),
          life ? h("details", { class: "history" }, h("summary", { class: "sub" }, "history" + (life.reopened ? ", reopened " + life.reopened + "×" : "")),
            h("ul", { class: "sub" }, life.history.map((e) => h("li", {}, when(e.at) + ": " + e.event + " (" + e.severity + ") " + e.title)))) : null);
      })));

    const scans = scansSection(c.recent_scans, "Recent scans");
    const trend = h("section", { class: "trend", id: "trend" }, h("h2", {}, "AI-debt score, 12 weeks"), trendChart(r.score_trend, r.company.risk_threshold, "The company's AI-debt score, 12 weeks"));
    view.replaceChildren(cards, h("div", { class: "grid2" }, trend, agents), repos, riskiest, h("div", { class: "grid2" }, alerts, scans));
    // When the figures were first on the page, for the bench (bench/dashboard.ts).
    if (performance.getEntriesByName("codeguard:figures").length === 0) performance.mark("codeguard:figures");
  }

  function scansSection(list, heading) {
    return h("section", { id: "scans" }, h("h2", {}, heading),
      list.length === 0 ? h("p", { class: "sub" }, "No scans yet.") :
      h("div", { class: "scroll" }, h("table", {},
        h("thead", {}, h("tr", {}, h("th", {}, "Repository"), h("th", {}, "Type"), h("th", {}, "Status"), h("th", {}, ""))),
        h("tbody", {}, list.map((x) => h("tr", { "data-scan": x.scanId },
          h("td", {}, x.repository), h("td", {}, x.scanType.replace(/_scan$/, "")),
          h("td", { class: "wrap" }, scanCell(x)),
          h("td", {}, x.status === "queued" || x.status === "running"
            ? h("button", { class: "cancel", onclick: (ev) => cancelScan(x, ev.currentTarget) }, "Cancel") : null)))))));
  }

  function renderRepository(overview, repo) {
    const row = overview.report.repositories.find((x) => x.full_name === repo.full_name) || {};
    const origin = ((overview.report.ai_origins && overview.report.ai_origins.repositories) || []).find((x) => x.full_name === repo.full_name) || null;
    const extra = overview.company.repositories.find((x) => x.id === repo.id) || { id: repo.id, full_name: repo.full_name, last_scan: repo.scans[0] || null };
    const back = h("p", {}, h("a", { href: queryWith({ repo: null }), onclick: nav(queryWith({ repo: null })), id: "back" }, "← " + overview.report.company.name));
    const head = h("div", { class: "cards" },
      h("div", { class: "card", id: "repo-score" }, h("h2", {}, "Repository"),
        h("div", { class: "repo-name" }, h("a", { href: repo.github_url, target: "_blank", rel: "noopener noreferrer" }, repo.full_name)),
        h("div", { class: "big" }, h("b", {}, show(row.score)), " ", zone(row.risk_zone)),
        h("div", { class: "sub" }, repo.is_active ? "AI share " + show(row.ai_loc_percentage, "%") + " of " + show(row.total_loc) + " counted lines in the 7 days ending " + overview.periodEnd : "deactivated"),
        origin ? h("div", { class: "sub", id: "repo-band" }, "AI lines " + origin.floor_percentage + "% to " + origin.ceiling_percentage + "% with suspected; recorded by git-ai " + origin.recorded_percentage + "%, origin known for " + origin.known_percentage + "%") : null,
        h("div", { class: "sub" }, "last scanned " + when(repo.last_scanned_at))),
      h("div", { class: "card" }, h("h2", {}, "Run scan"), repo.is_active ? runButtons(extra) : h("p", { class: "sub" }, "Deactivated: not scanned.")));
    const prs = h("section", { id: "riskiest-prs" }, h("h2", {}, "Riskiest AI pull requests, " + repo.span.start + " – " + repo.span.end),
      prTable(repo.riskiest_prs, false, "No AI pull request opened or merged in these 12 weeks."),
      h("p", { class: "sub" }, repo.ai_prs + " AI pull requests opened or merged in these 12 weeks; the 10 riskiest, ranked as the weekly report ranks them: merged without a human review first, then open without one, then reviewed; larger first."));
    const authors = h("section", { id: "authors" }, h("h2", {}, "Authors, " + repo.span.start + " – " + repo.span.end),
      repo.authors.length === 0 ? h("p", { class: "sub" }, "No commits in these 12 weeks.") :
      h("div", { class: "scroll" }, h("table", {},
        h("thead", {}, h("tr", {}, h("th", {}, "Author"), h("th", { class: "num" }, "Commits"), h("th", { class: "num" }, "AI (recorded or attested)"), h("th", { class: "num" }, "Suspected"), h("th", { class: "num" }, "Counted lines"), h("th", { class: "num" }, "AI share"))),
        h("tbody", {}, repo.authors.map((a) => h("tr", {},
          h("td", {}, a.name || a.email || "unknown"), h("td", { class: "num" }, a.commits), h("td", { class: "num" }, a.ai_commits), h("td", { class: "num" }, a.suspected_commits),
          h("td", { class: "num" }, a.counted_lines), h("td", { class: "num" }, a.ai_loc_percentage + "%")))))));
    const trend = h("section", { class: "trend", id: "trend" }, h("h2", {}, "AI-debt score, 12 weeks"), trendChart(repo.score_trend, overview.report.company.risk_threshold, repo.full_name + "'s AI-debt score, 12 weeks"));
    view.replaceChildren(back, head, trend, prs, authors, scansSection(repo.scans, "Scans"));
  }

  // ---- Run scan, progress, cancel --------------------------------------------------------------
  async function runScan(repo, scanType) {
    const buttons = document.querySelectorAll('button[data-repo="' + CSS.escape(repo.full_name) + '"]');
    buttons.forEach((b) => (b.disabled = true));
    try {
      const answer = await call(functionsBase + "/enqueue-scan", { method: "POST", body: JSON.stringify({ repository_id: repo.id, scan_type: scanType }) });
      const words = { created: "queued", pending: "already queued: that scan covers it", follow_up: "a scan is running: it goes again when it ends" };
      notice("info", "Scan of " + repo.full_name + " (" + scanType.replace(/_scan$/, "") + "): " + (words[answer.request] || answer.status) + ".");
      state.watched.set(answer.jobId, { repository: repo.full_name, status: "queued", mine: true });
      await route();
      tick();
    } catch (e) {
      if (e instanceof ApiError) {
        const why = e.status === 404 ? "this repository is no longer in your company (deleted or removed meanwhile)"
          : e.status === 409 ? e.message : e.status === 403 ? "you may not scan it: " + e.message : e.message;
        notice("error", "Could not start the scan of " + repo.full_name + ": " + why + ".");
        if (e.status === 404) route().catch(failed);
      } else failed(e);
    } finally {
      buttons.forEach((b) => b.isConnected && (b.disabled = false));
    }
  }

  async function cancelScan(scan, button) {
    if (button) button.disabled = true;
    try {
      const answer = await call(functionsBase + "/cancel-scan", { method: "POST", body: JSON.stringify({ jobId: scan.scanId }) });
      notice("info", "Scan of " + scan.repository + ": " + (answer.status === "cancelled" ? "cancelled." : "cancelling at its next page…"));
      state.watched.set(scan.scanId, Object.assign({}, state.watched.get(scan.scanId) || { repository: scan.repository }, { mine: true }));
      await route();
      tick();
    } catch (e) {
      if (e instanceof ApiError) notice("error", "Could not cancel the scan of " + scan.repository + ": " + e.message + (e.status === 409 ? "" : ".")), route().catch(failed);
      else failed(e);
    }
  }

  function watchActive(scans) {
    for (const x of scans || []) {
      if (x.status === "queued" || x.status === "running") {
        if (!state.watched.has(x.scanId)) state.watched.set(x.scanId, { repository: x.repository, status: x.status, mine: false });
      }
    }
    if (state.watched.size && !state.timer) state.timer = setTimeout(tick, 1500);
  }

  /** Polls scan-status for each watched scan; updates its progress in place; reads the figures again when one ends. */
  async function tick() {
    clearTimeout(state.timer);
    state.timer = null;
    let ended = [];
    for (const [id, w] of [...state.watched]) {
      let st;
      try {
        st = await call(functionsBase + "/scan-status?jobId=" + encodeURIComponent(id));
      } catch (e) {
        if (e instanceof ApiError && e.status === 404) {
          state.watched.delete(id);
          continue;
        }
        // Past the member's rate of status requests: poll again when it says, not fail.
        if (e instanceof ApiError && e.status === 429) {
          state.timer = setTimeout(tick, (e.retryAfterSeconds || 10) * 1000);
          return;
        }
        return failed(e);
      }
      for (const cell of document.querySelectorAll('[data-scan="' + id + '"] .scan, span.scan[data-scan="' + id + '"]')) {
        cell.replaceWith(scanCell(st));
      }
      if (st.status !== "queued" && st.status !== "running") {
        state.watched.delete(id);
        ended.push([w, st]);
      }
    }
    if (ended.length) {
      const mine = ended.filter(([w]) => w.mine).map(([w, st]) => "Scan of " + w.repository + " " + st.status + (st.error ? ": " + st.error : "") + ".");
      if (mine.length) notice(ended.some(([, st]) => st.status === "failed") ? "error" : "ok", mine.join(" ") + " The figures are read again as the scores follow.");
      // The scores follow a scan by a few seconds (calculate_scores is debounced): read again now and a few times after.
      for (const t of state.reloads) clearTimeout(t);
      state.reloads = [0, 3000, 7000, 15000, 30000].map((ms) => setTimeout(() => route(), ms));
    }
    if (state.watched.size) state.timer = setTimeout(tick, 1500);
  }

  // ---- sign-in -----------------------------------------------------------------------------
  function signIn(reason) {
    clearTimeout(state.timer);
    state.timer = null;
    tools.replaceChildren();
    title.replaceChildren("CodeGuard");
    clearNotice();
    const email = h("input", { type: "email", name: "email", placeholder: "you@company.com", required: true, autocomplete: "email" });
    const password = h("input", { type: "password", name: "password", placeholder: "password (or leave empty for a link)", autocomplete: "current-password" });
    const said = h("p", { class: "sub", id: "signin-result" });
    const form = h("form", {}, email, password, h("button", { class: "primary", type: "submit" }, "Sign in"));
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      said.textContent = "…";
      try {
        if (password.value) {
          const res = await fetch(authBase + "/token?grant_type=password", { method: "POST", headers: authHeaders(), body: JSON.stringify({ email: email.value, password: password.value }) });
          const body = await res.json().catch(() => null);
          if (!res.ok || !body || !body.access_token) throw new Error((body && (body.error_description || body.msg || body.error)) || "HTTP " + res.status);
          sessionStorage.setItem(SESSION_KEY, JSON.stringify({ access_token: body.access_token, refresh_token: body.refresh_token || null, expires_at: body.expires_at || Math.floor(Date.now() / 1000) + (body.expires_in || 3600) }));
          await route();
        } else {
          const back = location.origin + location.pathname + location.search;
          const res = await fetch(authBase + "/otp?redirect_to=" + encodeURIComponent(back), { method: "POST", headers: authHeaders(), body: JSON.stringify({ email: email.value, create_user: false }) });
          const body = await res.json().catch(() => null);
          if (!res.ok) throw new Error((body && (body.error_description || body.msg || body.error)) || "HTTP " + res.status);
          said.textContent = "A sign-in link was sent to " + email.value + ": open it in this browser.";
        }
      } catch (e) {
        said.textContent = "Sign-in failed: " + (e instanceof TypeError ? "this project's Auth could not be reached (on the local stack, use npx codeguard dashboard)" : e.message);
      }
    });
    view.replaceChildren(h("section", { class: "signin", id: "signin" },
      h("h2", {}, "Sign in"),
      reason ? h("div", { class: "notice error", id: "signin-reason" }, reason) : null,
      h("p", {}, "Sign in with your account on this project: your password, or a link by email (Supabase Auth)."),
      form, said,
      h("p", { class: "sub" }, "On the local stack: ", h("code", {}, "npx codeguard dashboard"), " prints this page's address with a session.")));
  }

  // ---- start -------------------------------------------------------------------------------
  addEventListener("popstate", () => route());
  const fromFragment = sessionFromFragment();
  if (fromFragment && fromFragment.error) signIn("Sign-in did not complete: " + fromFragment.error);
  else if (!storedSession()) signIn(null);
  else route();
}
