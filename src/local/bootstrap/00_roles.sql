-- What the Supabase platform gives every project, for a plain Postgres: the API roles, the
-- `extensions` schema with pgcrypto, and Supabase's default privileges on new objects in `public`
-- as they are since 2026-10-30 (reference/platform-keys-and-privileges.md): new tables are not
-- exposed to the Data API, but TRUNCATE, REFERENCES and TRIGGER still come from the default ACLs,
-- as do sequence and function privileges. The stricter default is emulated so that a grant our
-- migrations forget fails in our tests, not in a customer's project; the leftovers are emulated so
-- that the migrations' revokes are proven to take them back.
do $$
begin
  if not exists (select 1 from pg_roles where rolname = 'anon') then create role anon nologin noinherit; end if;
  if not exists (select 1 from pg_roles where rolname = 'authenticated') then create role authenticated nologin noinherit; end if;
  if not exists (select 1 from pg_roles where rolname = 'service_role') then create role service_role nologin noinherit bypassrls; end if;
  if not exists (select 1 from pg_roles where rolname = 'authenticator') then
    -- No password here: the local stack gives it a random one of its own (authenticator-password).
    create role authenticator login noinherit;
  end if;
end $$;
grant anon, authenticated, service_role to authenticator;
grant anon, authenticated, service_role to postgres;

create schema if not exists extensions;
create extension if not exists pgcrypto with schema extensions;
grant usage on schema extensions to anon, authenticated, service_role;

grant usage on schema public to anon, authenticated, service_role;
alter default privileges for role postgres in schema public revoke all on tables from anon, authenticated, service_role;
alter default privileges for role postgres in schema public grant truncate, references, trigger on tables to anon, authenticated, service_role;
alter default privileges for role postgres in schema public grant all on sequences to anon, authenticated, service_role;
alter default privileges for role postgres in schema public grant all on functions to anon, authenticated, service_role;

-- Realtime's publication (dashboards stream the tables added to it).
do $$ begin
  if not exists (select 1 from pg_publication where pubname = 'supabase_realtime') then create publication supabase_realtime; end if;
end $$;

-- Our migrations call gen_random_uuid() and digest() unqualified, as on Supabase.
-- set per database by the runner: search_path = "$user", public, extensions;
