/**
 * Reading a request's JSON body safely: at most `maxBytes` (413 beyond, stopping as soon as the
 * limit is passed rather than after buffering it all — an edge function has 256 MB), and a JSON
 * object or nothing (400 otherwise, saying what was expected).
 */

/**
 * The body's bytes, or null once it passes `maxBytes` — refused from its declared length, or as
 * soon as the reading passes the limit (the rest is never buffered).
 */
export async function readBodyBytes(req: Request, maxBytes: number): Promise<Uint8Array | null> {
  const declared = Number(req.headers.get("content-length"));
  if (Number.isFinite(declared) && declared > maxBytes) return null;
  const chunks: Uint8Array[] = [];
  let size = 0;
  if (req.body) {
    const reader = req.body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > maxBytes) {
        await reader.cancel().catch(() => {});
        return null;
      }
      chunks.push(value);
    }
  }
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const c of chunks) {
    bytes.set(c, offset);
    offset += c.byteLength;
  }
  return bytes;
}

/** The body as a JSON object ({} when empty), or the Response that refuses it. */
export async function readJsonObject(req: Request, options: { maxBytes: number; example: string }): Promise<Record<string, unknown> | Response> {
  const { maxBytes, example } = options;
  const bytes = await readBodyBytes(req, maxBytes);
  if (bytes === null) {
    return Response.json({ error: `the body is larger than ${maxBytes} bytes; send a JSON object like ${example}` }, { status: 413 });
  }
  const text = new TextDecoder().decode(bytes);
  if (!text.trim()) return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return Response.json({ error: `the body must be JSON, like ${example}` }, { status: 400 });
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    const got = value === null ? "null" : Array.isArray(value) ? "an array" : `a ${typeof value}`;
    return Response.json({ error: `the body must be a JSON object, like ${example}; got ${got}` }, { status: 400 });
  }
  return value as Record<string, unknown>;
}
