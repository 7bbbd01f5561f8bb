// The schema a database holds, read from its catalogs as named entries: what the drift checks
// compare (migrations vs. supabase/schemas in test/platform/schema.test.ts; the dashboard's SQL file
// vs. the migrations in test/deploy/dashboard-sql.test.ts).
import type postgres from "postgres";

/** Everything of the schema a database holds, as named entries (sorted), from the catalogs. */
export async function catalog(sql: postgres.Sql): Promise<Map<string, string>> {
  const rows = await sql<{ key: string; value: string }[]>`
    with public_ns as (select oid from pg_namespace where nspname = 'public')
    select 'function ' || p.oid::regprocedure::text as key,
           pg_get_functiondef(p.oid) || ' acl ' || coalesce(p.proacl::text, 'default') as value
    from pg_proc p where p.pronamespace = (select oid from public_ns)
    union all
    select 'relation ' || c.relname, c.relkind::text || ' rls ' || c.relrowsecurity || ' acl ' || coalesce(c.relacl::text, 'default')
           || ' options ' || coalesce(c.reloptions::text, '') || ' comment ' || coalesce(obj_description(c.oid, 'pg_class'), '')
    from pg_class c where c.relnamespace = (select oid from public_ns)
    union all
    select 'column ' || c.relname || '.' || a.attname,
           format_type(a.atttypid, a.atttypmod) || ' notnull ' || a.attnotnull || ' default ' || coalesce(pg_get_expr(d.adbin, d.adrelid), '')
           || ' identity ' || a.attidentity::text || ' #' || a.attnum || ' comment ' || coalesce(col_description(c.oid, a.attnum), '')
    from pg_attribute a join pg_class c on c.oid = a.attrelid left join pg_attrdef d on d.adrelid = a.attrelid and d.adnum = a.attnum
    where c.relnamespace = (select oid from public_ns) and a.attnum > 0 and not a.attisdropped
    union all
    select 'constraint ' || coalesce(c.relname, t.typname) || '.' || k.conname, pg_get_constraintdef(k.oid)
    from pg_constraint k left join pg_class c on c.oid = k.conrelid left join pg_type t on t.oid = k.contypid
    where k.connamespace = (select oid from public_ns)
    union all
    select 'index ' || i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid)
    from pg_index i join pg_class c on c.oid = i.indrelid where c.relnamespace = (select oid from public_ns)
    union all
    select 'trigger ' || c.relname || '.' || g.tgname, pg_get_triggerdef(g.oid)
    from pg_trigger g join pg_class c on c.oid = g.tgrelid where c.relnamespace = (select oid from public_ns) and not g.tgisinternal
    union all
    select 'policy ' || tablename || '.' || policyname, cmd || ' ' || roles::text || ' ' || coalesce(qual, '') || ' ' || coalesce(with_check, '')
    from pg_policies where schemaname = 'public'
    union all
    select 'type ' || t.typname, t.typtype::text || ' ' || coalesce(format_type(t.typbasetype, t.typtypmod), '') || ' acl ' || coalesce(t.typacl::text, 'default')
    from pg_type t where t.typnamespace = (select oid from public_ns) and t.typtype in ('d', 'c', 'e')
      and not exists (select 1 from pg_class c where c.reltype = t.oid and c.relkind <> 'c')
    union all
    select 'default acl ' || d.defaclrole::regrole::text || ' ' || d.defaclobjtype::text, d.defaclacl::text
    from pg_default_acl d where d.defaclnamespace = (select oid from public_ns)
    union all
    select 'schedule ' || jobname, schedule || ' ' || command || ' ' || active from cron.job
    union all
    select 'publication table ' || schemaname || '.' || tablename, pubname from pg_publication_tables where schemaname = 'public'
    union all
    select 'scan job type ' || name, coalesce(source, '-') || ' ' || coalesce(worker, '-') || ' ' || description from public.scan_job_types`;
  return new Map(rows.map((r) => [r.key, r.value]));
}

/**
 * Each entry that differs between two catalogs, with both values ("(missing)" where one lacks it),
 * labelled with where each came from; empty when they agree.
 */
export function catalogDifferences(a: Map<string, string>, b: Map<string, string>, labels: readonly [string, string]): string {
  const width = Math.max(labels[0].length, labels[1].length) + 1;
  const differences: string[] = [];
  for (const key of new Set([...a.keys(), ...b.keys()])) {
    if (a.get(key) === b.get(key)) continue;
    differences.push(`${key}\n  ${`${labels[0]}:`.padEnd(width)} ${a.get(key) ?? "(missing)"}\n  ${`${labels[1]}:`.padEnd(width)} ${b.get(key) ?? "(missing)"}`);
  }
  return differences.join("\n\n");
}
