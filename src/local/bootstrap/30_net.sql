-- The SQL face of pg_net (schema `net`), for a Postgres without the extension. Requests wait in
-- net.http_request_queue; src/local/dispatcher.ts sends them after the inserting transaction
-- commits (the NOTIFY below is delivered only at commit, exactly pg_net's guarantee) and writes
-- each answer to net._http_response, removing the request from the queue.
create schema net;

create unlogged table net.http_request_queue (
  id bigserial primary key,
  method text not null check (method in ('GET', 'POST', 'DELETE')),
  url text not null,
  headers jsonb not null,
  body bytea,
  timeout_milliseconds integer not null
);

create unlogged table net._http_response (
  id bigint,
  status_code integer,
  content_type text,
  headers jsonb,
  content text,
  timed_out boolean,
  error_msg text,
  created timestamptz not null default now()
);
create index _http_response_created_idx on net._http_response (created);

create function net._url_with_params(url text, params jsonb) returns text language sql immutable as $$
  select case when params is null or params = '{}'::jsonb then url
    else url || case when position('?' in url) > 0 then '&' else '?' end ||
      (select string_agg(format('%s=%s', key, value), '&') from jsonb_each_text(params)) end
$$;

create function net._enqueue(method text, url text, headers jsonb, body bytea, timeout_milliseconds integer)
returns bigint language plpgsql as $$
declare v_id bigint;
begin
  if url is null or url !~* '^https?://' then raise exception 'net: invalid url %', coalesce(url, 'null'); end if;
  insert into net.http_request_queue (method, url, headers, body, timeout_milliseconds)
  values (method, url, coalesce(headers, '{}'::jsonb), body, coalesce(timeout_milliseconds, 5000))
  returning id into v_id;
  perform pg_notify('codeguard_net_request', v_id::text);
  return v_id;
end $$;

create function net.http_post(url text, body jsonb default '{}'::jsonb, params jsonb default '{}'::jsonb,
  headers jsonb default '{"Content-Type": "application/json"}'::jsonb, timeout_milliseconds integer default 5000)
returns bigint language sql as $$
  -- As pg_net: the JSON content type unless the caller's headers name another.
  select net._enqueue('POST', net._url_with_params(url, params),
    '{"Content-Type": "application/json"}'::jsonb || coalesce(headers, '{}'::jsonb),
    convert_to(coalesce(body, '{}'::jsonb)::text, 'UTF8'), timeout_milliseconds)
$$;

create function net.http_get(url text, params jsonb default '{}'::jsonb, headers jsonb default '{}'::jsonb,
  timeout_milliseconds integer default 5000)
returns bigint language sql as $$
  select net._enqueue('GET', net._url_with_params(url, params), headers, null, timeout_milliseconds)
$$;

create function net.http_delete(url text, params jsonb default '{}'::jsonb, headers jsonb default '{}'::jsonb,
  timeout_milliseconds integer default 5000)
returns bigint language sql as $$
  select net._enqueue('DELETE', net._url_with_params(url, params), headers, null, timeout_milliseconds)
$$;

revoke all on schema net from public;
revoke execute on all functions in schema net from public;
grant usage on schema net to postgres, service_role;
grant execute on all functions in schema net to postgres, service_role;
grant select on net._http_response to service_role;
