-- The AI-debt score history thinned daily, keeping what every reader needs (see the function).
-- The history grew by a row per repository and one per company at each recomputation: hundreds a
-- day for a busy company.

-- The history thinned, daily: each recomputation writes a row per repository and one for the
-- company, so a busy company writes hundreds a day, and what is read of them is the latest score,
-- the lowest of the 7 days before it (the score-jump alert), and the last score before a day's end
-- (the weekly report's scores and 12-week trend, the dashboards' weekly trend: weeks end at UTC
-- midnight). So of each series (a repository's, or the company's: repository_id null), rows more
-- than p_keep_all older than its latest are kept only as the last of their UTC day, and the
-- series' first row stays (a report for a week before any score names the first one after it).
-- Every reader answers as before. Answers the rows deleted.
create function public.prune_ai_debt_scores(p_keep_all interval default '8 days') returns integer
language sql volatile security definer set search_path = ''
as $$
  with series as (
    select s.company_id, s.repository_id, max(s.calculated_at) as latest, min(s.calculated_at) as first
    from public.ai_debt_scores s
    group by s.company_id, s.repository_id
  ), ranked as (
    select s.id, s.calculated_at < x.latest - p_keep_all and s.calculated_at > x.first as thinned,
           pg_catalog.row_number() over (partition by s.company_id, s.repository_id, (s.calculated_at at time zone 'UTC')::date
                                         order by s.calculated_at desc, s.id desc) as nth_from_day_end
    from public.ai_debt_scores s
    join series x on x.company_id = s.company_id and x.repository_id is not distinct from s.repository_id
  ), gone as (
    delete from public.ai_debt_scores s
    using ranked r where r.id = s.id and r.thinned and r.nth_from_day_end > 1
    returning 1
  )
  select count(*)::integer from gone
$$;

revoke all on function public.prune_ai_debt_scores(interval) from public, anon, authenticated, service_role;
grant execute on function public.prune_ai_debt_scores(interval) to service_role;

select cron.schedule('codeguard-prune-ai-debt-scores', '53 3 * * *', $$select public.prune_ai_debt_scores()$$);
