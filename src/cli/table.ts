// Tables in the terminal: columns padded to their widest cell, a rule under the header, long cells
// cut with "…" so a line fits. Plain text (no colour), so it reads the same in a log or a pipe.

/** Rows of cells under `header`, as lines. Cells longer than `maxCell` characters are cut. */
export function table(header: readonly string[], rows: readonly (readonly (string | number | null | undefined)[])[], maxCell = 60): string {
  const cell = (v: string | number | null | undefined) => {
    const s = v === null || v === undefined ? "—" : String(v).replace(/\s+/g, " ");
    return s.length > maxCell ? `${s.slice(0, maxCell - 1)}…` : s;
  };
  const body = rows.map((r) => header.map((_, i) => cell(r[i])));
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((r) => r[i].length)));
  const line = (cells: readonly string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]))).join("  ").trimEnd();
  return [line(header), widths.map((w) => "─".repeat(w)).join("  "), ...body.map(line)].join("\n");
}

/** Key–value lines, keys padded. */
export function fields(pairs: readonly (readonly [string, string | number | null | undefined])[]): string {
  const width = Math.max(...pairs.map(([k]) => k.length));
  return pairs.map(([k, v]) => `${k.padEnd(width)}  ${v === null || v === undefined || v === "" ? "—" : v}`).join("\n");
}

/** A time as UTC without milliseconds, and how long ago. */
export function when(d: Date | null | undefined, now = new Date()): string {
  if (!d) return "—";
  const s = Math.round((now.getTime() - d.getTime()) / 1000);
  const ago = Math.abs(s) < 90 ? `${Math.abs(s)} s` : Math.abs(s) < 5400 ? `${Math.round(Math.abs(s) / 60)} min` : `${Math.round(Math.abs(s) / 3600)} h`;
  return `${d.toISOString().replace("T", " ").replace(/\.\d{3}Z$/, "Z")} (${s >= 0 ? `${ago} ago` : `in ${ago}`})`;
}
