-- GitHub source: the ETag cache of conditional REST requests, and storing a company's GitHub token
-- in Vault.
--
-- Why a cache in Postgres: an answered 304 costs nothing against GitHub's 5,000 requests/h, but
-- only if we can send the ETag of the last answer — and an edge function keeps nothing between
-- invocations. Rows are per company because GitHub varies answers by Authorization.

create table public.github_etag_cache (
  company_id uuid not null references public.companies (id) on delete cascade,
  -- The request path and query ("/repos/o/r/commits?sha=main&per_page=100"), without the host.
  request_key text not null,
  etag text not null,
  body jsonb not null,
  -- The Link header of the answer, so a page served from cache still paginates.
  link text,
  updated_at timestamptz not null default now(),
  primary key (company_id, request_key)
);

comment on table public.github_etag_cache is
  'Last good answer per conditional GitHub REST request and company (ETag + body); written only with validated bodies.';

-- Tenant-scoped: row-level security on, and no policy for signed-in users — a cached answer can
-- hold private repository data, and only the pipeline (service_role / postgres) needs it.
alter table public.github_etag_cache enable row level security;
revoke all on public.github_etag_cache from anon, authenticated;
grant select, insert, update, delete on public.github_etag_cache to service_role;

-- One upsert per answer. Security invoker: the pipeline's role already owns the rights it needs.
create function public.github_etag_cache_put(
  p_company_id uuid, p_request_key text, p_etag text, p_body jsonb, p_link text
) returns void
language sql
set search_path = ''
as $$
  insert into public.github_etag_cache as c (company_id, request_key, etag, body, link, updated_at)
  values (p_company_id, p_request_key, p_etag, p_body, p_link, now())
  on conflict (company_id, request_key) do update
    set etag = excluded.etag, body = excluded.body, link = excluded.link, updated_at = now();
$$;
revoke execute on function public.github_etag_cache_put(uuid, text, text, jsonb, text) from public, anon, authenticated;
grant execute on function public.github_etag_cache_put(uuid, text, text, jsonb, text) to service_role;

-- Stores (or replaces) a company's personal access token in Vault under github_token:<company_id>,
-- where the GitHub client reads it (vault.decrypted_secrets). Security definer because writing
-- Vault is a privileged act; callable only by service_role (onboarding runs there), with an empty
-- search_path so nobody can shadow vault.* or public.*.
create function public.set_github_token(p_company_id uuid, p_token text) returns uuid
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_name text := 'github_token:' || p_company_id::text;
  v_id uuid;
begin
  if p_token is null or length(trim(p_token)) = 0 then
    raise exception 'set_github_token: the token is empty' using errcode = '22023';
  end if;
  select s.id into v_id from vault.secrets s where s.name = v_name;
  if v_id is null then
    v_id := vault.create_secret(p_token, v_name, 'GitHub token of company ' || p_company_id::text);
  else
    perform vault.update_secret(v_id, p_token);
  end if;
  -- Answers cached under the old token may not be visible to the new one.
  delete from public.github_etag_cache c where c.company_id = p_company_id;
  return v_id;
end;
$$;
revoke execute on function public.set_github_token(uuid, text) from public, anon, authenticated;
grant execute on function public.set_github_token(uuid, text) to service_role;
