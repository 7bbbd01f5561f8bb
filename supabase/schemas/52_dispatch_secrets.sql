-- The Vault secrets the dispatch reads (50_dispatch.sql): project_url, and the key it sends —
-- secret_key (sb_secret_…, in the apikey header) or, for a project still on the legacy keys,
-- service_role_key (a JWT). `npm run deploy` sets them with this function, and a person may paste
-- `select public.set_dispatch_secret('secret_key', 'sb_secret_…')` in the SQL editor. Unlike
-- vault.create_secret, which refuses a name taken, it creates or replaces, so a redeploy or a key
-- rotation is the same call. It refuses what cannot work — a publishable key (public: it proves
-- nothing), a JWT where a secret key belongs, a URL with a path — with a message that never
-- contains the value. Security definer because writing Vault is a privileged act; an empty
-- search_path so that nobody can shadow vault.*. Answers the Vault secret's id.
create function public.set_dispatch_secret(p_name text, p_value text) returns uuid
language plpgsql volatile security definer set search_path = ''
as $$
declare
  v_id uuid;
begin
  if p_name is null or p_name not in ('project_url', 'secret_key', 'service_role_key') then
    raise exception 'set_dispatch_secret: % is not a secret the dispatch reads', pg_catalog.quote_literal(coalesce(p_name, 'null'))
      using errcode = '22023', hint = 'One of project_url, secret_key (sb_secret_…) or, on the legacy keys, service_role_key.';
  end if;
  if p_value is null or p_value = '' then
    raise exception 'set_dispatch_secret: the value of % is empty', p_name using errcode = '22023';
  end if;
  if p_value ~ '[[:cntrl:][:space:]]' then
    raise exception 'set_dispatch_secret: the value of % contains a space, newline or other control character (% characters in all)', p_name, pg_catalog.length(p_value)
      using errcode = '22023', hint = 'Paste the value alone, without quotes, spaces or a line break.';
  end if;
  if p_name = 'project_url' and p_value !~ '^(https://[A-Za-z0-9.-]+|http://(127\.0\.0\.1|localhost)(:[0-9]+)?)$' then
    raise exception 'set_dispatch_secret: project_url must be the project''s base URL (% characters given)', pg_catalog.length(p_value)
      using errcode = '22023', hint = 'https://<project-ref>.supabase.co — no path (no /functions/v1), no trailing slash.';
  end if;
  if p_name = 'secret_key' and p_value !~ '^sb_secret_[A-Za-z0-9_-]{16,}$' then
    raise exception 'set_dispatch_secret: secret_key must be a secret API key (sb_secret_…); this is %', case
        when p_value like 'sb_publishable_%' then 'the publishable key, which is public and proves nothing'
        when p_value ~ '^eyJ' then 'a JWT (the legacy service_role key?)'
        else 'of no known shape' end
      using errcode = '22023',
            hint = 'Dashboard: Project Settings → API Keys → Secret keys. A legacy service_role JWT goes under service_role_key.';
  end if;
  if p_name = 'service_role_key' and p_value !~ '^eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$' then
    raise exception 'set_dispatch_secret: service_role_key must be the legacy service_role JWT (eyJ…)'
      using errcode = '22023', hint = 'A secret key (sb_secret_…) goes under secret_key.';
  end if;
  select s.id into v_id from vault.secrets s where s.name = p_name;
  if v_id is null then
    v_id := vault.create_secret(p_value, p_name, 'read by public.dispatch_scan_workers');
  else
    perform vault.update_secret(v_id, p_value);
  end if;
  return v_id;
end $$;
