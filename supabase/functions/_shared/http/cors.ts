/**
 * CORS for the functions a member's browser calls from a page served elsewhere (the dashboard's
 * standalone page, GET …/dashboard/standalone.html, hosted as a static file: on a project's default
 * domain Supabase serves a function's text/html as text/plain). Any origin may call: the API's
 * credential is the bearer token in the Authorization header, never a cookie, so a foreign page can
 * do nothing with it that the token's holder could not do without it (no credentials mode, no
 * ambient authority). A preflight (OPTIONS) is answered here, before any caller check.
 */
const ALLOW = {
  "access-control-allow-origin": "*",
  "access-control-allow-headers": "authorization, apikey, content-type, x-client-info",
  "access-control-allow-methods": "GET, POST, OPTIONS",
  "access-control-max-age": "600",
};

export function withCors(handler: (req: Request) => Promise<Response> | Response): (req: Request) => Promise<Response> {
  return async (req: Request) => {
    if (req.method === "OPTIONS") return new Response(null, { status: 204, headers: ALLOW });
    const res = await handler(req);
    const headers = new Headers(res.headers);
    headers.set("access-control-allow-origin", "*");
    return new Response(res.body, { status: res.status, statusText: res.statusText, headers });
  };
}
