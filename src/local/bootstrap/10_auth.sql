-- auth.uid(), auth.role(), auth.jwt(), auth.email(): as on Supabase, they read the claims of the
-- request's JWT from the `request.jwt.claims` setting (set per transaction by the API layer, or by
-- a test with `set local request.jwt.claims = '{"sub": …, "role": "authenticated"}'`).
create schema if not exists auth;
grant usage on schema auth to anon, authenticated, service_role;

create or replace function auth.jwt() returns jsonb language sql stable as $$
  select nullif(current_setting('request.jwt.claims', true), '')::jsonb
$$;
create or replace function auth.uid() returns uuid language sql stable as $$
  select coalesce(nullif(current_setting('request.jwt.claim.sub', true), ''), auth.jwt() ->> 'sub')::uuid
$$;
create or replace function auth.role() returns text language sql stable as $$
  select coalesce(nullif(current_setting('request.jwt.claim.role', true), ''), auth.jwt() ->> 'role')::text
$$;
create or replace function auth.email() returns text language sql stable as $$
  select coalesce(nullif(current_setting('request.jwt.claim.email', true), ''), auth.jwt() ->> 'email')::text
$$;
grant execute on function auth.jwt(), auth.uid(), auth.role(), auth.email() to anon, authenticated, service_role;

-- auth.users, where Supabase Auth keeps who has signed up: the columns our SQL reads (onboarding's
-- add_company_member looks people up by id or email). Locally there is no Auth server; a test or a
-- person adds a row to stand for a signed-up user.
create table if not exists auth.users (
  id uuid primary key,
  email text,
  created_at timestamptz not null default now()
);
