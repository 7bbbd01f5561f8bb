-- Tenants: companies, their members and the repositories they watch. Every tenant table has
-- row-level security: a signed-in member sees the rows of their own company; the pipeline
-- (service_role, or the postgres role the edge functions connect as) sees all.

create table public.companies (
  id uuid primary key default gen_random_uuid(),
  name text not null,
  -- Product defaults (reference/product-spec.md): risk_threshold 60, auto_scan_enabled, the queue's
  -- per-company cap on running scans max_concurrent_scans 2, and a full scan's window of 90 days,
  -- scan_window_days (the original design looked back 30).
  -- Also read when present: github_cache_max_bytes (the ETag cache's bound, default 8 MB).
  settings jsonb not null default '{"risk_threshold": 60, "auto_scan_enabled": true, "max_concurrent_scans": 2, "scan_window_days": 90}',
  created_at timestamptz not null default now()
);

create table public.users (
  id uuid primary key,                      -- = auth.uid() of the member
  company_id uuid not null references public.companies (id) on delete cascade,
  email text not null,
  role text not null default 'member' check (role in ('owner', 'admin', 'member')),
  created_at timestamptz not null default now()
);
create index users_company_id_idx on public.users (company_id);

-- Where a repository's history can be read from: the sources the scan stage knows
-- (source/history.ts), each with the names its repositories may have. A repository names its
-- source (repositories.source); the scan worker's composition root maps the name onto the code
-- that reads it, and the queue keys its source outages on it (22_scan_source_outages.sql).
create table public.repository_sources (
  name text primary key check (name ~ '^[a-z][a-z0-9_]*$'),
  -- A repository's full_name in this source: a regular expression it must match, and the form
  -- in words with an example, for the message that refuses one.
  full_name_pattern text not null,
  full_name_form text not null,
  description text not null
);
-- GitHub's bounds: an owner of 1–39 letters, digits or hyphens, not starting with a hyphen; a name
-- of 1–100 letters, digits, '.', '_' or '-', other than '.' and '..'.
insert into public.repository_sources (name, full_name_pattern, full_name_form, description) values
  ('github', '^[A-Za-z0-9][A-Za-z0-9-]{0,38}/(?![.]{1,2}$)[A-Za-z0-9._-]{1,100}$',
   'owner/name, the owner 1–39 letters, digits or hyphens (not first), the name 1–100 letters, digits, ''.'', ''_'' or ''-'' (e.g. octocat/hello-world: no URL, no .git)',
   'GitHub: api.github.com or GitHub Enterprise Server (GITHUB_API_URL)');

create table public.repositories (
  id uuid primary key default gen_random_uuid(),
  company_id uuid not null references public.companies (id) on delete cascade,
  -- Its name in its source; the source's full_name_pattern checks it (repository_full_name_fits_source).
  full_name text not null check (full_name ~ '^[^[:space:][:cntrl:]]{1,255}$'),
  default_branch text not null default 'main',
  is_active boolean not null default true,
  -- What the last completed scan saw, as its source wrote it (GitHub's: newest PR update, default-
  -- branch head and notes commit), so the next incremental scan reads only what changed after it.
  scan_watermark jsonb,
  last_scanned_at timestamptz,
  created_at timestamptz not null default now(),
  -- Where its history is read from.
  source text not null default 'github' references public.repository_sources (name),
  unique (company_id, full_name)
);

-- A repository's name must be one its source can have: refused with the source's form otherwise.
create function public.repository_full_name_fits_source() returns trigger
language plpgsql security definer set search_path = ''
as $$
declare
  v_source public.repository_sources;
begin
  select s.* into v_source from public.repository_sources s where s.name = new.source;
  if found and new.full_name !~ v_source.full_name_pattern then  -- (an unknown source: the foreign key says so)
    raise exception 'repositories: % is not a % repository name', pg_catalog.quote_literal(new.full_name), new.source
      using errcode = '23514', schema = 'public', table = 'repositories', column = 'full_name',
            hint = 'Give it as ' || v_source.full_name_form || '.';
  end if;
  return new;
end $$;
create trigger repositories_full_name_fits_source before insert or update of full_name, source on public.repositories
  for each row execute function public.repository_full_name_fits_source();

-- The company of the signed-in member. Security definer so that the policies on `users` itself do
-- not recurse; a fixed search_path so that nobody can shadow the tables it reads.
-- Only while Supabase Auth still has the user (see member_company_id): a deleted user's session reads nothing.
create function public.current_company_id() returns uuid
language sql stable security definer set search_path = ''
as $$ select u.company_id from public.users u join auth.users a on a.id = u.id where u.id = auth.uid() $$;

alter table public.companies enable row level security;
alter table public.users enable row level security;
alter table public.repositories enable row level security;
alter table public.repository_sources enable row level security;

create policy companies_member_read on public.companies for select to authenticated
  using (id = public.current_company_id());
create policy users_member_read on public.users for select to authenticated
  using (company_id = public.current_company_id());
create policy repositories_member_read on public.repositories for select to authenticated
  using (company_id = public.current_company_id());
-- No tenant's data: every member may read it.
create policy repository_sources_member_read on public.repository_sources for select to authenticated using (true);

-- The platform's own tenant: the queue runs every job for a company (its slots, its dedupe keys),
-- and a few jobs are about no company — refresh_views refreshes the dashboards of all of them.
-- Those run as this company's, made on first use (ensure_platform_company), with one slot, so two
-- refreshes never run at once. No member belongs to it; company-wide jobs (reports, digests) skip it.
create function public.platform_company_id() returns uuid
language sql immutable
as $$ select '00000000-0000-4000-8000-000000000000'::uuid $$;

create function public.ensure_platform_company() returns uuid
language sql volatile security definer set search_path = ''
as $$
  insert into public.companies (id, name, settings)
  values (public.platform_company_id(), 'CodeGuard platform jobs', '{"auto_scan_enabled": false, "max_concurrent_scans": 1}')
  on conflict (id) do nothing;
  select public.platform_company_id();
$$;
