-- Onboarding: how a company, its repositories and its members come to exist. These functions are
-- the SQL API that `codeguard company create | repo add | member add` call (through a database
-- URL, locally or on a hosted project), and what a person may paste in the dashboard's SQL editor
-- instead. The service only: execute is granted to service_role (90_privileges.sql), and the
-- edge functions' and the CLI's `postgres` owns them. Security definer with an empty search_path,
-- because member add reads auth.users, which the API roles cannot, and so that nobody can shadow
-- the tables they write. Each refuses bad input with a message that says what to do, writes one
-- row (or none), and gives the same answer when run again, so a repeated command duplicates nothing.

-- A company by its id or its name (as `codeguard … --company` takes either). Raises when there is
-- none, naming the ones there are (at most ten), so a typo is fixed without another query.
create function public.resolve_company(p_company text) returns uuid
language plpgsql stable security definer set search_path = ''
as $$
declare
  v_id uuid;
  v_known text;
begin
  if p_company is null or pg_catalog.btrim(p_company) = '' then
    raise exception 'resolve_company: no company given' using errcode = '22023',
      hint = 'Pass --company <id or name> (codeguard company create prints the id).';
  end if;
  if p_company ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' then
    select c.id into v_id from public.companies c where c.id = p_company::uuid;
  else
    select c.id into v_id from public.companies c where pg_catalog.lower(c.name) = pg_catalog.lower(pg_catalog.btrim(p_company));
  end if;
  if v_id is null then
    select pg_catalog.string_agg(pg_catalog.format('%s (%s)', k.name, k.id), ', ') into v_known
    from (select c.name, c.id from public.companies c order by c.created_at limit 10) k;
    raise exception 'resolve_company: no company %', pg_catalog.quote_literal(p_company) using errcode = 'P0002',
      hint = coalesce('Companies here: ' || v_known, 'There is no company yet: codeguard company create "<name>".');
  end if;
  return v_id;
end $$;

-- Creates a company named p_name, with p_settings (a JSON object) over the defaults of
-- companies.settings. Names are unique case-insensitively here (not in the table: tenants made
-- before had no such rule), so that running the command twice makes one company, not two.
create function public.create_company(p_name text, p_settings jsonb default '{}') returns uuid
language plpgsql volatile security definer set search_path = ''
as $$
declare
  v_name text := pg_catalog.btrim(p_name);
  v_id uuid;
begin
  if v_name is null or v_name = '' then
    raise exception 'create_company: the name is empty' using errcode = '22023';
  end if;
  if pg_catalog.length(v_name) > 200 then
    raise exception 'create_company: the name has % characters, at most 200', pg_catalog.length(v_name) using errcode = '22023';
  end if;
  if p_settings is null or pg_catalog.jsonb_typeof(p_settings) <> 'object' then
    raise exception 'create_company: settings must be a JSON object, not %', coalesce(pg_catalog.jsonb_typeof(p_settings), 'null')
      using errcode = '22023', hint = 'For example {"auto_scan_enabled": false, "scan_window_days": 30}.';
  end if;
  select c.id into v_id from public.companies c where pg_catalog.lower(c.name) = pg_catalog.lower(v_name);
  if v_id is not null then
    raise exception 'create_company: a company named % exists already (%)', pg_catalog.quote_literal(v_name), v_id
      using errcode = '23505', hint = 'Use it: --company ' || v_id::text;
  end if;
  insert into public.companies (name) values (v_name) returning id into v_id;
  update public.companies c set settings = c.settings || p_settings where c.id = v_id;
  return v_id;
end $$;

-- Sets a company's scan window (settings.scan_window_days): how far back a full scan reads the
-- default branch's commits, and the window its scores and reports read. `codeguard repo add
-- --window-days N` calls it, for a repository whose history ends before the window does (a scan's
-- warnings say so, with the date). 1 to 36500 days. Answers the window it replaced (null when the
-- company had none set: the default, 90).
create function public.set_company_scan_window(p_company_id uuid, p_days integer) returns integer
language plpgsql volatile security definer set search_path = ''
as $$
declare
  v_before integer;
begin
  if p_days is null or p_days < 1 or p_days > 36500 then
    raise exception 'set_company_scan_window: % is not a window in days (1 to 36500)', coalesce(p_days::text, 'null') using errcode = '22023';
  end if;
  select case when pg_catalog.jsonb_typeof(c.settings -> 'scan_window_days') = 'number' then (c.settings ->> 'scan_window_days')::numeric::integer end
    into v_before from public.companies c where c.id = p_company_id for update;
  if not found then
    raise exception 'set_company_scan_window: company % does not exist', coalesce(p_company_id::text, 'null') using errcode = '23503';
  end if;
  update public.companies c set settings = c.settings || pg_catalog.jsonb_build_object('scan_window_days', p_days) where c.id = p_company_id;
  return v_before;
end $$;

-- Adds (or reactivates) a repository of a company: p_full_name is GitHub's owner/name. GitHub
-- names are case-insensitive, so an existing row of another case is the same repository: it is
-- reactivated, not doubled. p_default_branch null keeps the row's branch ('main' for a new one).
-- Answers the repository's id and whether this call created it.
create function public.add_repository(p_company_id uuid, p_full_name text, p_default_branch text default null)
returns table (repository_id uuid, created boolean)
language plpgsql volatile security definer set search_path = ''
as $$
declare
  v_name text := pg_catalog.btrim(p_full_name);
  v_id uuid;
begin
  if p_company_id is null or not exists (select 1 from public.companies c where c.id = p_company_id) then
    raise exception 'add_repository: company % does not exist', coalesce(p_company_id::text, 'null') using errcode = '23503';
  end if;
  if v_name is null or v_name !~ '^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$' then
    raise exception 'add_repository: % is not a GitHub repository name', pg_catalog.quote_literal(coalesce(v_name, ''))
      using errcode = '22023', hint = 'Give it as owner/name, for example octocat/hello-world (no URL, no .git).';
  end if;
  if p_default_branch is not null and (p_default_branch = '' or p_default_branch ~ '[[:space:][:cntrl:]~^:?*\[\\]') then
    raise exception 'add_repository: % is not a branch name', pg_catalog.quote_literal(p_default_branch) using errcode = '22023';
  end if;
  update public.repositories r set is_active = true, default_branch = coalesce(p_default_branch, r.default_branch)
  where r.company_id = p_company_id and pg_catalog.lower(r.full_name) = pg_catalog.lower(v_name)
  returning r.id into v_id;
  if v_id is not null then
    return query select v_id, false;
    return;
  end if;
  -- A concurrent add of the same name meets the unique key: it is then the same repository.
  return query
    insert into public.repositories as r (company_id, full_name, default_branch)
    values (p_company_id, v_name, coalesce(p_default_branch, 'main'))
    on conflict (company_id, full_name) do update set is_active = true
    returning r.id, (r.xmax = 0);
end $$;

-- Makes a signed-up user a member of a company with p_role: p_member is their auth uid or the
-- email they sign in with (auth.users). public.users.id is auth.uid(), which is what row-level
-- security matches, so a person must exist in auth.users first (invited or signed up); a user
-- belongs to one company. Run again, it changes the role. Answers the member.
create function public.add_company_member(p_company_id uuid, p_member text, p_role text default 'member')
returns table (user_id uuid, email text, role text, created boolean)
language plpgsql volatile security definer set search_path = ''
as $$
declare
  v_member text := pg_catalog.btrim(p_member);
  v_uid uuid;
  v_email text;
  v_other uuid;
  v_created boolean;
begin
  if p_company_id is null or not exists (select 1 from public.companies c where c.id = p_company_id) then
    raise exception 'add_company_member: company % does not exist', coalesce(p_company_id::text, 'null') using errcode = '23503';
  end if;
  if p_role is null or p_role not in ('owner', 'admin', 'member') then
    raise exception 'add_company_member: role % is not one of owner, admin, member', pg_catalog.quote_literal(coalesce(p_role, 'null'))
      using errcode = '22023';
  end if;
  if v_member ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' then
    select u.id, u.email into v_uid, v_email from auth.users u where u.id = v_member::uuid;
  elsif v_member ~ '^[^@[:space:]]+@[^@[:space:]]+$' then
    select u.id, u.email into v_uid, v_email from auth.users u where pg_catalog.lower(u.email) = pg_catalog.lower(v_member)
    order by u.created_at limit 1;
  else
    raise exception 'add_company_member: % is neither an email nor a user id', pg_catalog.quote_literal(coalesce(v_member, ''))
      using errcode = '22023', hint = 'Give the email the person signs in with, or their user id (Authentication → Users).';
  end if;
  if v_uid is null then
    raise exception 'add_company_member: no user % has signed up', pg_catalog.quote_literal(v_member) using errcode = 'P0002',
      hint = 'Invite them first (dashboard: Authentication → Users → Invite user), then run this again.';
  end if;
  select m.company_id into v_other from public.users m where m.id = v_uid;
  if v_other is not null and v_other <> p_company_id then
    raise exception 'add_company_member: % is a member of another company (%)', coalesce(v_email, v_uid::text), v_other
      using errcode = '23505', hint = 'A user belongs to one company: remove them there first.';
  end if;
  v_created := v_other is null;
  insert into public.users as m (id, company_id, email, role)
  values (v_uid, p_company_id, coalesce(v_email, ''), p_role)
  on conflict (id) do update set role = excluded.role, email = excluded.email;
  return query select v_uid, coalesce(v_email, ''), p_role, v_created;
end $$;
