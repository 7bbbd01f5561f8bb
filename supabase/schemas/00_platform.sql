-- What the schema needs from the platform, enabled where the server offers it:
--   pgcrypto        gen_random_uuid(), pgp_sym_* (Vault's local face), digest()  — in `extensions`
--   pg_cron         the schedules (reaper, dispatch tick, pruners)               — schema cron
--   pg_net          HTTP calls from SQL to the edge functions                     — schema net
--   supabase_vault  secrets (the dispatch key, companies' GitHub tokens)          — schema vault
-- On Supabase they are extensions a project enables, so the first migration must create them (a
-- blank project otherwise stops at `schema "cron" does not exist`). The local stack has no such
-- extensions; its bootstrap (src/local/bootstrap) creates SQL faces with the same names in the same
-- schemas before any migration runs. So each piece is created where the server offers it and is
-- not there yet, and nothing branches on where it runs. Where a piece is neither offered nor
-- present, the migration stops here, before it has created anything, naming what is missing.
-- (An explicit extension version is ignored by Supabase since 2026-08-05: none is given.)
do $$
declare
  v_missing text[] := '{}';
  v_piece record;
begin
  create schema if not exists extensions;
  for v_piece in
    select * from (values
      ('pgcrypto', 'extensions', 'extensions'),  -- (extension, its schema, the schema our code calls it in)
      ('pg_cron', 'pg_catalog', 'cron'),
      ('pg_net', 'extensions', 'net'),
      ('supabase_vault', 'vault', 'vault')) p (extension, install_schema, face_schema)
  loop
    if v_piece.extension = 'pgcrypto' and exists (select 1 from pg_catalog.pg_extension where extname = 'pgcrypto') then
      continue;
    end if;
    if v_piece.extension <> 'pgcrypto' and pg_catalog.to_regnamespace(v_piece.face_schema) is not null then
      continue; -- the extension, or the local stack's face of it
    end if;
    if exists (select 1 from pg_catalog.pg_available_extensions where name = v_piece.extension) then
      if v_piece.install_schema = 'vault' then
        create schema if not exists vault;
      end if;
      execute pg_catalog.format('create extension if not exists %I with schema %I', v_piece.extension, v_piece.install_schema);
    else
      v_missing := v_missing || pg_catalog.format('%s (schema %s)', v_piece.extension, v_piece.face_schema);
    end if;
  end loop;
  if pg_catalog.cardinality(v_missing) > 0 then
    raise exception 'CodeGuard needs % on this database, and the server offers none of them', pg_catalog.array_to_string(v_missing, ', ')
      using hint = 'On Supabase: enable them under Database → Extensions, then run supabase db push again. '
                || 'A plain Postgres: use the local stack (npm start), whose bootstrap provides them.';
  end if;
end $$;

