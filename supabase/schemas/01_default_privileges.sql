-- Objects start closed. Supabase's defaults grant the API roles (anon, authenticated) broad
-- privileges on every new table, sequence and function in `public` — TRUNCATE, TRIGGER,
-- REFERENCES and sequence UPDATE included, which row-level security does not govern (TRUNCATE of
-- a tenant table empties it for every tenant). Projects made since 2026-05-30, and all projects
-- since 2026-10-30, no longer expose new tables to the Data API, while older projects keep the old
-- defaults: so nothing here relies on either. The defaults of the role that creates our objects
-- (postgres: `supabase db push`, and the local stack) are revoked, every object is revoked again
-- explicitly, and each role is granted exactly what it needs in 90_privileges.sql — service_role
-- included: an object a later migration adds is closed to every API role until it grants it.
-- `postgres` can change only its own default privileges (supabase_admin's are not ours to change;
-- they apply to objects supabase_admin creates).
alter default privileges for role postgres in schema public revoke all on tables from anon, authenticated, service_role;
alter default privileges for role postgres in schema public revoke all on sequences from anon, authenticated, service_role;
alter default privileges for role postgres in schema public revoke all on functions from anon, authenticated, service_role;
-- EXECUTE to PUBLIC (every role, anon included) is Postgres's own default for new functions, and a
-- per-schema default can only add to it: only the global form takes it back. It applies to the
-- functions postgres creates in any schema, which is the intent — a function is called by whom it
-- is granted to.
alter default privileges for role postgres revoke execute on functions from public;
