-- People who use the service, with one role each, and their API tokens (only a hash is kept).
create table users (
  id text primary key,
  name text not null,
  role text not null
    check (role in ('operator', 'verifier', 'senior-verifier', 'expert', 'chair', 'admin')),
  token_sha256 text not null unique check (token_sha256 ~ '^[0-9a-f]{64}$'),
  created_at timestamptz not null default now(),
  disabled_at timestamptz
);
