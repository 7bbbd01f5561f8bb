-- The Slack digest: a company's weekly report as a Block Kit message to its incoming webhook. The
-- webhook URL is a secret (anyone holding it can post to the channel): it lives in Vault as
-- `slack_webhook_url:<company id>` and is read only by the send-slack-digest function. Messages go
-- out through an outbound table, one row per company and week, with every attempt logged: 5
-- attempts, 1 s doubling to 16 s between them with jitter (the function waits them out within its
-- run); a 4xx that can never succeed (a revoked webhook, an archived channel) is dead at once with
-- Slack's reason; after the fifth failure the delivery is dead and so is its job. Delivery is at
-- least once: a worker killed after Slack took the message but before the row said so sends it
-- again (incoming webhooks have no idempotency key).

-- Stores (or replaces) a company's Slack webhook URL in Vault; null removes it. Answers nothing
-- that holds the URL. The URL must be exactly scheme://host/path — no userinfo (`user@`), no port,
-- no query or fragment — and its host one of pipeline_settings.slack_webhook_hosts (Slack's; the
-- local stack adds its loopback receiver), so the setting cannot make the pipeline post to an
-- internal address; https only, and a port only, for loopback hosts. The URL is matched whole
-- against that grammar rather than having its host picked out of it: `https://hooks.slack.com:1@127.0.0.1/…`
-- names the host 127.0.0.1 to every URL parser. send-slack-digest checks the URL again with one
-- before each post (slack/delivery.ts, slackUrlProblem).
create function public.set_slack_webhook_url(p_company_id uuid, p_url text) returns void
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

-- The company's webhook URL, for the send-slack-digest function alone.
create function public.slack_webhook_url(p_company_id uuid) returns text
language sql stable security definer set search_path = ''
as $$ select s.decrypted_secret from vault.decrypted_secrets s where s.name = 'slack_webhook_url:' || p_company_id::text $$;

create domain public.slack_delivery_status as text
  constraint slack_delivery_status_known check (value in ('pending', 'delivered', 'dead'));

create table public.slack_deliveries (
  id uuid primary key default gen_random_uuid(),
  company_id uuid not null references public.companies (id) on delete cascade,
  kind text not null default 'weekly_digest' check (kind in ('weekly_digest')),
  period_start date not null,
  -- The Block Kit message (no secret in it).
  payload jsonb not null,
  status public.slack_delivery_status not null default 'pending',
  attempts integer not null default 0,
  last_status_code integer,
  -- Why the last attempt failed, or why the delivery is dead (Slack's answer, never the URL).
  last_error text,
  job_id uuid,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  delivered_at timestamptz,
  dead_at timestamptz,
  unique (company_id, kind, period_start),
  -- Attempts made before the delivery was last retried after being dead: a retry is a new round of
  -- 5 attempts whose numbers continue after these (attempt numbers are the log's key, never reused).
  earlier_attempts integer not null default 0
);

-- Every attempt of every delivery: the delivery log.
create table public.slack_delivery_attempts (
  delivery_id uuid not null references public.slack_deliveries (id) on delete cascade,
  attempt integer not null,
  company_id uuid not null,
  attempted_at timestamptz not null default now(),
  status_code integer,
  outcome text not null check (outcome in ('delivered', 'retry', 'dead')),
  error text,
  duration_ms integer,
  primary key (delivery_id, attempt)
);

alter table public.slack_deliveries enable row level security;
alter table public.slack_delivery_attempts enable row level security;
create policy slack_deliveries_member_read on public.slack_deliveries for select to authenticated
  using (company_id = public.current_company_id());
create policy slack_delivery_attempts_member_read on public.slack_delivery_attempts for select to authenticated
  using (company_id = public.current_company_id());

-- The delivery of a company's digest for a week, made once: a delivered one stays delivered
-- (a re-run sends nothing); a dead one gets a new round of attempts (someone retried the job, after
-- fixing the webhook or after Slack recovered), numbered on after the dead round's; a pending one
-- continues where it stopped. Answers the row.
create function public.prepare_slack_delivery(p_company_id uuid, p_period_start date, p_payload jsonb, p_job_id uuid default null)
returns public.slack_deliveries
language sql volatile security definer set search_path = ''
as $$
  insert into public.slack_deliveries as d (company_id, kind, period_start, payload, job_id, created_at, updated_at)
  values (p_company_id, 'weekly_digest', p_period_start, p_payload, p_job_id, public.scan_queue_now(), public.scan_queue_now())
  on conflict (company_id, kind, period_start) do update
    set payload = case when d.status = 'delivered' then d.payload else excluded.payload end,
        job_id = excluded.job_id,
        earlier_attempts = case when d.status = 'dead' then d.attempts else d.earlier_attempts end,
        status = case when d.status = 'dead' then 'pending' else d.status end,
        dead_at = case when d.status = 'dead' then null else d.dead_at end,
        updated_at = excluded.updated_at
  returning d.*
$$;

-- One attempt's outcome ('delivered', 'retry' or 'dead'), logged, and the delivery moved on.
-- Idempotent: the same attempt recorded again with the same outcome answers true and changes
-- nothing (a worker whose first record of a post Slack took was cut off records it again, rather
-- than post again). Refused (false) when the delivery is no longer pending at that attempt:
-- another worker finished it.
create function public.record_slack_attempt(p_delivery_id uuid, p_attempt integer, p_status_code integer, p_outcome text,
  p_error text, p_duration_ms integer) returns boolean
language plpgsql volatile security definer set search_path = ''
as $$
declare
  v_now timestamptz := public.scan_queue_now();
  v_delivery public.slack_deliveries;
begin
  update public.slack_deliveries d
  set attempts = p_attempt, last_status_code = p_status_code, last_error = case when p_outcome = 'delivered' then null else p_error end,
      status = case p_outcome when 'retry' then 'pending' else p_outcome end,
      delivered_at = case when p_outcome = 'delivered' then v_now end,
      dead_at = case when p_outcome = 'dead' then v_now end,
      updated_at = v_now
  where d.id = p_delivery_id and d.status = 'pending' and d.attempts = p_attempt - 1
  returning d.* into v_delivery;
  if not found then
    return exists (select 1 from public.slack_delivery_attempts a
                   where a.delivery_id = p_delivery_id and a.attempt = p_attempt and a.outcome = p_outcome);
  end if;
  insert into public.slack_delivery_attempts (delivery_id, attempt, company_id, attempted_at, status_code, outcome, error, duration_ms)
  values (p_delivery_id, p_attempt, v_delivery.company_id, v_now, p_status_code, p_outcome, p_error, p_duration_ms);
  return true;
end $$;

-- Monday 09:00 UTC: the digest of last week's report, for each company with a Slack webhook URL.
create function public.enqueue_slack_digests(p_day date default null) returns integer
language sql volatile security definer set search_path = ''
as $$ select public.enqueue_weekly_company_jobs('send_slack_digest', p_day) $$;
