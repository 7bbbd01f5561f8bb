-- Issue 24 #3: a deleted auth user's unexpired session still reached its company (scan-status 200,
-- enqueue-scan 202, and its rows through RLS): public.users has no foreign key to auth.users. The
-- member's company is now found only while auth.users has the user.

-- The company of the signed-in member. Security definer so that the policies on `users` itself do
-- not recurse; a fixed search_path so that nobody can shadow the tables it reads.
-- Only while Supabase Auth still has the user (see member_company_id): a deleted user's session reads nothing.
create or replace function public.current_company_id() returns uuid
language sql stable security definer set search_path = ''
as $$ select u.company_id from public.users u join auth.users a on a.id = u.id where u.id = auth.uid() $$;

-- The company of a member, or null. Only while Supabase Auth still has the user: public.users
-- has no foreign key to auth.users (Auth owns that table), and a deleted user's unexpired session
-- must not keep working.
create or replace function public.member_company_id(p_user_id uuid) returns uuid
language sql stable security definer set search_path = ''
as $$ select u.company_id from public.users u join auth.users a on a.id = u.id where u.id = p_user_id $$;
