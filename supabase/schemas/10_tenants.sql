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

create table public.repositories (
  id uuid primary key default gen_random_uuid(),
  company_id uuid not null references public.companies (id) on delete cascade,
  full_name text not null check (full_name ~ '^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$'),
  default_branch text not null default 'main',
  is_active boolean not null default true,
  -- What the last completed scan saw (the GitHub source's watermark: newest PR update and
  -- default-branch head), so the next incremental scan reads only what changed after it.
  scan_watermark jsonb,
  last_scanned_at timestamptz,
  created_at timestamptz not null default now(),
  unique (company_id, full_name)
);

-- The company of the signed-in member. Security definer so that the policies on `users` itself do
-- not recurse; a fixed search_path so that nobody can shadow the tables it reads.
-- Only while Supabase Auth still has the user (see member_company_id): a deleted user's session reads nothing.
create function public.current_company_id() returns uuid
language sql stable security definer set search_path = ''
as $$ select u.company_id from public.users u join auth.users a on a.id = u.id where u.id = auth.uid() $$;

alter table public.companies enable row level security;
alter table public.users enable row level security;
alter table public.repositories enable row level security;

create policy companies_member_read on public.companies for select to authenticated
  using (id = public.current_company_id());
create policy users_member_read on public.users for select to authenticated
  using (company_id = public.current_company_id());
create policy repositories_member_read on public.repositories for select to authenticated
  using (company_id = public.current_company_id());

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
