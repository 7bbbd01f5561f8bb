-- The demo company: what `npm start` scans (src/local/demo.ts applies this file before its scans,
-- and test/deploy/seed.test.ts checks the two agree) and what `supabase db reset` seeds on a local
-- Supabase stack. For a local database only: the token is a placeholder that the local GitHub
-- accepts and GitHub refuses — never `supabase db push --include-seed` to a project you use.
-- Safe to run again: it adds what is missing and changes nothing else.

-- The data sets' histories are older than the default 90-day window: the demo company scans ten years,
-- and no daily auto-scan wakes it.
insert into public.companies (id, name, settings)
values ('de000000-0000-4000-8000-000000000001', 'Demo Inc',
        '{"risk_threshold": 60, "auto_scan_enabled": false, "max_concurrent_scans": 2, "scan_window_days": 3650}')
on conflict (id) do nothing;

-- The two repositories the local GitHub serves from ../shared/data (github__github-mcp-server.jsonl,
-- terryyin__lizard.jsonl), with their default branches.
insert into public.repositories (company_id, full_name, default_branch)
values ('de000000-0000-4000-8000-000000000001', 'github/github-mcp-server', 'main'),
       ('de000000-0000-4000-8000-000000000001', 'terryyin/lizard', 'master')
on conflict (company_id, full_name) do update set is_active = true;

-- Setting a token clears the company's ETag cache (another token may see other data): only the first time.
select public.set_github_token('de000000-0000-4000-8000-000000000001', 'ghp_localdemotoken0000000000000000000000')
where not exists (select 1 from vault.secrets where name = 'github_token:de000000-0000-4000-8000-000000000001');
