-- The scan window says what it left out (issue 23): `codeguard repo add --window-days N` sets the
-- company's scan window through set_company_scan_window (the scan's warning names the setting).

-- Sets a company's scan window (settings.scan_window_days): how far back a full scan reads the
-- default branch's commits, and the window its scores and reports read. `codeguard repo add
-- --window-days N` calls it, for a repository whose history ends before the window does (a scan's
-- warnings say so, with the date). 1 to 36500 days. Answers the window it replaced (null when the
-- company had none set: the default, 90).
create function public.set_company_scan_window(p_company_id uuid, p_days integer) returns integer
language plpgsql volatile security definer set search_path = ''
as $$
declare
  v_before integer;
begin
  if p_days is null or p_days < 1 or p_days > 36500 then
    raise exception 'set_company_scan_window: % is not a window in days (1 to 36500)', coalesce(p_days::text, 'null') using errcode = '22023';
  end if;
  select case when pg_catalog.jsonb_typeof(c.settings -> 'scan_window_days') = 'number' then (c.settings ->> 'scan_window_days')::numeric::integer end
    into v_before from public.companies c where c.id = p_company_id for update;
  if not found then
    raise exception 'set_company_scan_window: company % does not exist', coalesce(p_company_id::text, 'null') using errcode = '23503';
  end if;
  update public.companies c set settings = c.settings || pg_catalog.jsonb_build_object('scan_window_days', p_days) where c.id = p_company_id;
  return v_before;
end $$;

revoke all on function public.set_company_scan_window(uuid, integer) from public, anon, authenticated, service_role;
grant execute on function public.set_company_scan_window(uuid, integer) to service_role;
