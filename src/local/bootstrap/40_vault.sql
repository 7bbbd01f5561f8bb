-- The SQL face of Supabase Vault (schema `vault`), for a Postgres without it: secrets stored
-- encrypted with pgcrypto under a key kept in a table only the owner can read (Vault keeps its
-- key outside the database; locally, the data folder is the trust boundary).
create schema vault;

create table vault._local_key (id integer primary key check (id = 1), key text not null);
insert into vault._local_key values (1, encode(extensions.gen_random_bytes(32), 'hex'));

create table vault.secrets (
  id uuid primary key default extensions.gen_random_uuid(),
  name text unique,
  description text not null default '',
  secret text not null,
  key_id uuid,
  nonce bytea,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);

create function vault._encrypt(plain text) returns text language sql security definer set search_path = '' as $$
  select encode(extensions.pgp_sym_encrypt(plain, (select key from vault._local_key where id = 1)), 'base64')
$$;

create function vault.create_secret(new_secret text, new_name text default null, new_description text default '',
  new_key_id uuid default null) returns uuid language plpgsql security definer set search_path = '' as $$
declare v_id uuid;
begin
  insert into vault.secrets (name, description, secret, key_id)
  values (new_name, coalesce(new_description, ''), vault._encrypt(new_secret), new_key_id)
  returning id into v_id;
  return v_id;
end $$;

create function vault.update_secret(secret_id uuid, new_secret text default null, new_name text default null,
  new_description text default null, new_key_id uuid default null) returns void language plpgsql security definer set search_path = '' as $$
begin
  update vault.secrets s set
    secret = coalesce(vault._encrypt(new_secret), s.secret),
    name = coalesce(new_name, s.name),
    description = coalesce(new_description, s.description),
    key_id = coalesce(new_key_id, s.key_id),
    updated_at = now()
  where s.id = secret_id;
end $$;

create view vault.decrypted_secrets as
  select s.id, s.name, s.description, s.secret,
    extensions.pgp_sym_decrypt(decode(s.secret, 'base64'), k.key) as decrypted_secret,
    s.key_id, s.nonce, s.created_at, s.updated_at
  from vault.secrets s cross join vault._local_key k;

revoke all on schema vault from public;
revoke all on all tables in schema vault from public;
revoke execute on all functions in schema vault from public;
grant usage on schema vault to postgres, service_role;
grant select on vault.decrypted_secrets to service_role;
grant execute on function vault.create_secret(text, text, text, uuid), vault.update_secret(uuid, text, text, text, uuid) to service_role;
