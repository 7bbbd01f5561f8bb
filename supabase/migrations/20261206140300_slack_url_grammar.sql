-- Issue 24 #2: set_slack_webhook_url read the host up to the first ':' and accepted
-- https://hooks.slack.com:1@127.0.0.1:47123/services/… (userinfo `hooks.slack.com:1`, host 127.0.0.1).
-- The URL is now matched whole against scheme://host[:port]/path, with no userinfo.

-- Stores (or replaces) a company's Slack webhook URL in Vault; null removes it. Answers nothing
-- that holds the URL. The URL must be exactly scheme://host/path — no userinfo (`user@`), no port,
-- no query or fragment — and its host one of pipeline_settings.slack_webhook_hosts (Slack's; the
-- local stack adds its loopback receiver), so the setting cannot make the pipeline post to an
-- internal address; https only, and a port only, for loopback hosts. The URL is matched whole
-- against that grammar rather than having its host picked out of it: `https://hooks.slack.com:1@127.0.0.1/…`
-- names the host 127.0.0.1 to every URL parser. send-slack-digest checks the URL again with one
-- before each post (slack/delivery.ts, slackUrlProblem).
create or replace function public.set_slack_webhook_url(p_company_id uuid, p_url text) returns void
language plpgsql volatile security definer set search_path = ''
as $$
declare
  v_name text := 'slack_webhook_url:' || p_company_id::text;
  v_id uuid;
  v_parts text[];
  v_host text;
  v_hosts jsonb := coalesce((select s.value from public.pipeline_settings s where s.name = 'slack_webhook_hosts'), '[]');
begin
  if not exists (select 1 from public.companies c where c.id = p_company_id) then
    raise exception 'set_slack_webhook_url: no company %', p_company_id using errcode = '23503';
  end if;
  select s.id into v_id from vault.secrets s where s.name = v_name;
  if p_url is null then
    delete from vault.secrets s where s.id = v_id;
    return;
  end if;
  -- scheme, host (letters, digits, dots, hyphens: no userinfo, no IPv6 literal), optional port, path.
  v_parts := pg_catalog.regexp_match(p_url, '^(https?)://([A-Za-z0-9.-]+)(:[0-9]{1,5})?(/[A-Za-z0-9._~/%-]*)?$');
  v_host := pg_catalog.lower(v_parts[2]);
  if v_parts is null or not v_hosts ? v_host
     or ((v_parts[1] <> 'https' or v_parts[3] is not null) and v_host not in ('127.0.0.1', 'localhost')) then
    -- The message names the host (when there is one to name), never the URL: its path is the secret.
    raise exception 'set_slack_webhook_url: a Slack incoming-webhook URL is https://hooks.slack.com/services/…, with no user, port, query or fragment; %',
      case when v_parts is null then 'this one is not of that form'
           when not v_hosts ? v_host then pg_catalog.format('host %s is not allowed', v_host)
           else pg_catalog.format('host %s is not allowed over http or with a port', v_host) end
      using errcode = '22023', hint = 'Create one in Slack: Apps → Incoming Webhooks → Add New Webhook to Workspace.';
  end if;
  if v_id is null then
    perform vault.create_secret(p_url, v_name, 'Slack incoming-webhook URL of company ' || p_company_id::text);
  else
    perform vault.update_secret(v_id, p_url);
  end if;
end $$;
