/**
 * The marks of one message line: an agent's trailer (`Co-authored-by: Claude <noreply@anthropic.com>`,
 * `Generated-by: …`) or footer (`🤖 Generated with [Claude Code](…)`), as hits against the catalog.
 * Shared by classify.ts (a commit's verdict) and strip.ts (a commit with its marks taken out).
 */
import { type Signature, type SignatureKind } from "./signatures.ts";
import { type CompiledCatalog, DEFAULT_CATALOG, lookupIdentity } from "./matcher.ts";

export interface Hit {
  row: Signature;
  kind: SignatureKind;
  signal: string;
  detail: string;
}

/** Collects hits; kept tiny because it runs per commit. */
export class Hits {
  list: Hit[] = [];
  add(row: Signature, signal: string, what: string, kind: SignatureKind = row.kind): void {
    this.list.push({ row, kind, signal, detail: `${what} → ${row.agent} ${kind} (${row.confidence})` });
  }
  has(agent: string, kind: SignatureKind): boolean {
    for (const h of this.list) if (h.row.agent === agent && h.kind === kind) return true;
    return false;
  }
}

export function lineMarks(c: CompiledCatalog, msg: string, start: number, end: number, hits: Hits): void {
  let s = start;
  while (s < end && (msg.charCodeAt(s) === 32 || msg.charCodeAt(s) === 9)) s++;
  const ch = msg.charCodeAt(s);
  // Trailer: an ASCII letter, a short key of letters and dashes, then ": ".
  if ((ch >= 65 && ch <= 90) || (ch >= 97 && ch <= 122)) {
    let k = s + 1;
    const limit = Math.min(end, s + 40);
    while (k < limit) {
      const kc = msg.charCodeAt(k);
      if (kc === 45 || (kc >= 65 && kc <= 90) || (kc >= 97 && kc <= 122)) k++;
      else break;
    }
    if (k < limit && msg.charCodeAt(k) === 58) {
      const key = msg.slice(s, k).toLowerCase();
      if (key === "co-authored-by") {
        coAuthor(c, msg.slice(k + 1, end).trim(), hits);
        return;
      }
      const rows = c.trailer.get(key);
      if (rows) {
        const value = msg.slice(k + 1, end).trim();
        const lowerValue = value.toLowerCase();
        for (const row of rows) {
          if (!row.qualifier || lowerValue.startsWith(row.qualifier)) {
            hits.add(row, "trailer", `${msg.slice(s, k)}: ${value.slice(0, 80)}`);
            break;
          }
        }
        return;
      }
    }
  }
  // Footer: "🤖 Generated with [Tool](url)".
  const g = msg.indexOf("enerated with [", s);
  if (g >= 0 && g < end && g - s < 8) {
    const close = msg.indexOf("]", g + 15);
    if (close > 0 && close < end) {
      const row = c.footer.get(msg.slice(g + 15, close).toLowerCase());
      if (row) hits.add(row, "footer", msg.slice(s, end).trim().slice(0, 100));
    }
  }
}

function coAuthor(c: CompiledCatalog, value: string, hits: Hits): void {
  const lt = value.lastIndexOf("<");
  const gt = value.lastIndexOf(">");
  if (lt < 0 || gt < lt) return;
  const row = lookupIdentity(c, value.slice(lt + 1, gt), value.slice(0, lt).trim());
  if (row) hits.add(row, "co_author", `Co-authored-by: ${value}`);
}

/**
 * True when one message line (not the subject) carries a catalog mark: an AI co-author, an agent
 * trailer or a `Generated with [Tool]` footer. Used to strip marks for the suspected tier's eval.
 */
export function lineHasMark(line: string, catalog: CompiledCatalog = DEFAULT_CATALOG): boolean {
  if (line.length <= 3) return false;
  lineHits.list.length = 0;
  lineMarks(catalog, line, 0, line.length, lineHits);
  return lineHits.list.length > 0;
}
/** Reused by lineHasMark, which runs on every body line of every commit the scorer strips. */
const lineHits = new Hits();
