-- The SQL face of pg_cron 1.6 (schema `cron`), for a Postgres without the extension. Same
-- functions, argument names, tables and columns; src/local/scheduler.ts executes the jobs and
-- records each run in cron.job_run_details, as pg_cron's background worker does.
create schema cron;

create table cron.job (
  jobid bigserial primary key,
  schedule text not null,
  command text not null,
  nodename text not null default 'localhost',
  nodeport integer not null default coalesce(inet_server_port(), 5432),
  database text not null default current_database(),
  username text not null default current_user,
  active boolean not null default true,
  jobname text
);
create unique index jobname_username_uniq on cron.job (jobname, username);

create sequence cron.runid_seq;
create table cron.job_run_details (
  jobid bigint,
  runid bigint primary key default nextval('cron.runid_seq'),
  job_pid integer,
  database text,
  username text,
  command text,
  status text,
  return_message text,
  start_time timestamptz,
  end_time timestamptz
);
create index job_run_details_jobid_idx on cron.job_run_details (jobid, start_time);

-- pg_cron accepts standard 5-field cron (UTC), '@hourly'-style macros, and 'N seconds' (1–59).
create function cron._check_schedule(schedule text) returns void language plpgsql immutable as $$
begin
  if schedule ~* '^\s*([1-9]|[1-5][0-9])\s+seconds?\s*$' then return; end if;
  if schedule ~* '^\s*@(yearly|annually|monthly|weekly|daily|hourly|midnight)\s*$' then return; end if;
  if schedule ~ '^\s*[0-9*,/$A-Za-z-]+(\s+[0-9*,/$A-Za-z-]+){4}\s*$' then return; end if;
  raise exception 'invalid schedule: %', schedule using hint = 'use 5-field cron syntax (UTC) or ''N seconds'' with N from 1 to 59';
end $$;

create function cron.schedule(job_name text, schedule text, command text) returns bigint language plpgsql as $$
declare v_jobid bigint;
begin
  perform cron._check_schedule(schedule);
  insert into cron.job (schedule, command, jobname) values (schedule, command, job_name)
  on conflict (jobname, username) do update set schedule = excluded.schedule, command = excluded.command,
    database = excluded.database, active = true
  returning jobid into v_jobid;
  return v_jobid;
end $$;

create function cron.schedule(schedule text, command text) returns bigint language plpgsql as $$
declare v_jobid bigint;
begin
  perform cron._check_schedule(schedule);
  insert into cron.job (schedule, command) values (schedule, command) returning jobid into v_jobid;
  return v_jobid;
end $$;

create function cron.unschedule(job_name text) returns boolean language plpgsql as $$
begin
  delete from cron.job where jobname = job_name and username = current_user;
  if not found then raise exception 'could not find valid entry for job ''%''', job_name; end if;
  return true;
end $$;

create function cron.unschedule(job_id bigint) returns boolean language plpgsql as $$
begin
  delete from cron.job where jobid = job_id;
  if not found then raise exception 'could not find valid entry for job %', job_id; end if;
  return true;
end $$;

create function cron.alter_job(job_id bigint, schedule text default null, command text default null,
  database text default null, username text default null, active boolean default null) returns void language plpgsql as $$
begin
  if schedule is not null then perform cron._check_schedule(schedule); end if;
  update cron.job j set schedule = coalesce(alter_job.schedule, j.schedule), command = coalesce(alter_job.command, j.command),
    database = coalesce(alter_job.database, j.database), username = coalesce(alter_job.username, j.username),
    active = coalesce(alter_job.active, j.active)
  where j.jobid = job_id;
  if not found then raise exception 'could not find valid entry for job %', job_id; end if;
end $$;

-- The local scheduler reloads its timetable when this fires (delivered at commit).
create function cron._notify_changed() returns trigger language plpgsql as $$
begin perform pg_notify('codeguard_cron_changed', ''); return null; end $$;
create trigger job_changed after insert or update or delete or truncate on cron.job
  for each statement execute function cron._notify_changed();

revoke all on schema cron from public;
grant usage on schema cron to postgres, service_role;
grant select on cron.job, cron.job_run_details to service_role;
