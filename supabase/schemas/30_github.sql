-- The GitHub source's state in Postgres: companies' GitHub tokens (in Vault) and the ETag cache of
-- conditional REST requests.

-- ---------------------------------------------------------------------------------------------
-- Tokens

-- Stores (or replaces) a company's personal access token in Vault under github_token:<company_id>,
-- where the scan workers read it (github_token). Refuses what cannot be a GitHub token — pasted
-- with a newline or a space, or of no known shape — since a header value with a control character
-- makes the HTTP layer fail with an error that quotes it. Errors never contain the token. Security
-- definer because writing Vault is a privileged act; an empty search_path so that nobody can shadow
-- vault.* or public.*. Answers the Vault secret's id.
create function public.set_github_token(p_company_id uuid, p_token text) returns uuid
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_name text := 'github_token:' || p_company_id::text;
  v_id uuid;
begin
  if p_company_id is null or not exists (select 1 from public.companies c where c.id = p_company_id) then
    raise exception 'set_github_token: company % does not exist', coalesce(p_company_id::text, 'null') using errcode = '23503';
  end if;
  if p_token is null or length(p_token) = 0 then
    raise exception 'set_github_token: the token is empty' using errcode = '22023';
  end if;
  if p_token ~ '[[:cntrl:][:space:]]' then
    raise exception 'set_github_token: the token contains a space, newline or other control character (% characters in all)', length(p_token)
      using errcode = '22023', hint = 'Paste the token alone, without quotes, spaces or a line break.';
  end if;
  -- GitHub's token formats: ghp_ (classic), github_pat_ (fine-grained), gho_/ghu_/ghs_/ghr_
  -- (OAuth, user-to-server, installation, refresh), and the legacy 40 hex digits.
  if p_token !~ '^(gh[pousr]_[A-Za-z0-9]{30,251}|github_pat_[A-Za-z0-9_]{22,255}|[0-9a-f]{40})$' then
    raise exception 'set_github_token: this does not look like a GitHub token (% characters, starting %)', length(p_token),
      case when p_token ~ '^(gh[pousr]_|github_pat_)' then pg_catalog.quote_literal(substring(p_token from '^(gh[pousr]_|github_pat_)'))
           else 'with no known prefix' end
      using errcode = '22023',
            hint = 'A GitHub token starts with ghp_ (classic), github_pat_ (fine-grained) or ghs_ (GitHub App installation), followed by letters and digits.';
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

-- A company's GitHub token from Vault, for the scan worker that runs its jobs; null when none is
-- stored. Only the pipeline may call it.
create function public.github_token(p_company_id uuid) returns text
language sql stable security definer set search_path = ''
as $$ select s.decrypted_secret from vault.decrypted_secrets s where s.name = 'github_token:' || p_company_id::text $$;

-- ---------------------------------------------------------------------------------------------
-- ETag cache
--
-- Why a cache in Postgres: an answered 304 costs nothing against GitHub's 5,000 requests/h, but
-- only if we can send the ETag of the last answer — and an edge function keeps nothing between
-- invocations. Rows are per company because GitHub varies answers by Authorization.
-- What a row keeps is what a 304 needs to be answered from here: the ETag and what the client made
-- of the answer (`value`: the parsed records, e.g. a commit's numstat or a page's list of shas,
-- tagged with the reader that made them, `shape`), not GitHub's body, and deflated by the client:
-- most rows are one commit's record (~1.2 KB of JSON), under the 2 KB from which Postgres would
-- compress a row itself. bench/github-cache.ts, a full scan of github/github-mcp-server (1,099
-- commits): 2.75 MB on disk with whole bodies, 1.34 MB with the records as jsonb, 0.6 MB deflated.
-- Bounded per company by size (least recently used first) and age: prune_github_etag_cache.

create table public.github_etag_cache (
  company_id uuid not null references public.companies (id) on delete cascade,
  -- The request path and query ("/repos/o/r/commits?sha=main&per_page=100"), without the host.
  request_key text not null,
  etag text not null,
  -- Which reader made `value` (e.g. "commit@1"): a row another reader made is not used.
  shape text not null,
  -- The reader's value as JSON, deflated (raw deflate, RFC 1951).
  value bytea not null,
  -- The answer's Link header, so that a page answered from here still paginates.
  link text,
  -- Size of value and link, for the per-company bound.
  bytes integer not null,
  -- When a scan last used the row (refreshed at most hourly): the eviction order.
  used_at timestamptz not null default now(),
  primary key (company_id, request_key)
);
create index github_etag_cache_company_used on public.github_etag_cache (company_id, used_at);
-- Deflated already: Postgres need not try again.
alter table public.github_etag_cache alter column value set storage external;
-- Tenant-scoped: row-level security on, and no policy for signed-in users — a cached answer can
-- hold private repository data, and only the pipeline needs it.
alter table public.github_etag_cache enable row level security;

comment on table public.github_etag_cache is
  'What the GitHub client made of the last good answer per conditional REST request and company, with its ETag; bounded by prune_github_etag_cache.';

-- The cached value of a request made by reader p_shape, or no row. A hit refreshes used_at when
-- it is more than an hour old (a write per hour per row, not per read).
create function public.github_etag_cache_get(p_company_id uuid, p_request_key text, p_shape text)
returns table (etag text, value bytea, link text)
language sql volatile security definer set search_path = ''
as $$
  with hit as (
    select c.etag, c.value, c.link, c.used_at from public.github_etag_cache c
    where c.company_id = p_company_id and c.request_key = p_request_key and c.shape = p_shape
  ), touched as (
    update public.github_etag_cache c set used_at = now()
    where c.company_id = p_company_id and c.request_key = p_request_key
      and exists (select 1 from hit h where h.used_at < now() - interval '1 hour')
  )
  select h.etag, h.value, h.link from hit h
$$;

-- One upsert per answer (the client calls it only with a validated value).
create function public.github_etag_cache_put(
  p_company_id uuid, p_request_key text, p_etag text, p_shape text, p_value bytea, p_link text
) returns void
language sql volatile security definer set search_path = ''
as $$
  insert into public.github_etag_cache as c (company_id, request_key, etag, shape, value, link, bytes, used_at)
  values (p_company_id, p_request_key, p_etag, p_shape, p_value, p_link,
          octet_length(p_value) + coalesce(octet_length(p_link), 0), now())
  on conflict (company_id, request_key) do update
    set etag = excluded.etag, shape = excluded.shape, value = excluded.value, link = excluded.link,
        bytes = excluded.bytes, used_at = excluded.used_at;
$$;

-- A company's bound on its cache: settings.github_cache_max_bytes, 8 MB when absent or not a
-- positive number (a full scan of a repository of ~1,100 commits keeps ~0.5 MB).
create function public.github_etag_cache_bound(p_settings jsonb) returns bigint
language sql immutable
as $$
  select case when pg_catalog.jsonb_typeof(p_settings -> 'github_cache_max_bytes') = 'number'
                   and (p_settings ->> 'github_cache_max_bytes')::numeric >= 1
              then floor((p_settings ->> 'github_cache_max_bytes')::numeric)::bigint
              else 8388608 end
$$;

-- Deletes cache rows unused for p_max_age, then, per company, the least recently used rows beyond
-- its bound (github_etag_cache_bound). For one company (a scan's end: the worker calls it for its
-- company) or all (the hourly schedule). Answers what it deleted.
create function public.prune_github_etag_cache(p_company_id uuid default null, p_max_age interval default '30 days')
returns table (entries bigint, bytes bigint)
language plpgsql volatile security definer set search_path = ''
as $$
declare
  v_old_entries bigint;
  v_old_bytes bigint;
  v_lru_entries bigint;
  v_lru_bytes bigint;
begin
  with old as (
    delete from public.github_etag_cache c
    where (p_company_id is null or c.company_id = p_company_id) and c.used_at < now() - p_max_age
    returning c.bytes
  ) select count(*), coalesce(sum(o.bytes), 0) into v_old_entries, v_old_bytes from old o;

  with over as (
    select x.company_id, public.github_etag_cache_bound(co.settings) as bound
    from public.github_etag_cache x join public.companies co on co.id = x.company_id
    where p_company_id is null or x.company_id = p_company_id
    group by x.company_id, co.settings
    having sum(x.bytes) > public.github_etag_cache_bound(co.settings)
  ), ranked as (
    select c.company_id, c.request_key, o.bound,
           sum(c.bytes) over (partition by c.company_id order by c.used_at desc, c.request_key) as kept
    from public.github_etag_cache c join over o on o.company_id = c.company_id
  ), evicted as (
    delete from public.github_etag_cache c using ranked r
    where c.company_id = r.company_id and c.request_key = r.request_key and r.kept > r.bound
    returning c.bytes
  ) select count(*), coalesce(sum(e.bytes), 0) into v_lru_entries, v_lru_bytes from evicted e;

  return query select v_old_entries + v_lru_entries, v_old_bytes + v_lru_bytes;
end $$;
