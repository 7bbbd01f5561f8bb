-- The Slack digest read pipeline_settings with a query of its own (slack/send-digest.ts); every read
-- of the pipeline goes through a SQL function and its typed client. pipeline_setting(name): a
-- setting's stored value (jsonb), for the settings that are not numbers (pipeline_setting_int).
-- A setting's value as it is stored (jsonb), or null when it is absent: for a setting that is not a
-- number (slack_webhook_hosts, a list), read by the pipeline through its typed client.
create function public.pipeline_setting(p_name text) returns jsonb
language sql stable security definer set search_path = ''
as $$ select s.value from public.pipeline_settings s where s.name = p_name $$;

revoke all on function public.pipeline_setting(text) from public, anon, authenticated, service_role;
grant execute on function public.pipeline_setting(text) to service_role;
