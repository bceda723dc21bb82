-- The processing service's first schema. PostgreSQL 15 SQL that PGlite runs too.
-- Names follow the domain glossary: Batch (a scanner delivery), Image (stored file bytes, content-addressed),
-- Page (one page of an image, recognised once), Sheet (a recognised form known by its sheet number),
-- Work (one participant's forms for one exam, known by a work code).

create table exams (
  id text primary key,
  year int not null,
  kind text not null check (kind in ('EGE', 'OGE', 'GVE')),
  subject_code text not null,
  exam_date date not null,
  region text not null,
  -- IANA zone of the region: retention days and deadlines are local days there.
  time_zone text not null,
  processing_deadline date,
  created_at timestamptz not null default now()
);

create table batches (
  id text primary key,
  -- The station and the batch's own id from its manifest: a redelivered batch is the same batch.
  station text not null,
  external_id text not null,
  exam_id text references exams (id),
  ppe_code text,
  room text,
  source text not null check (source in ('hot-folder', 'upload', 'ppe-package')),
  -- Declared page counts by form kind, from the manifest.
  declared jsonb not null default '{}',
  status text not null default 'receiving' check (status in ('receiving', 'received', 'processed')),
  created_at timestamptz not null default now(),
  unique (station, external_id)
);

-- Scanned files as delivered, stored once per SHA-256 of their bytes however often they arrive.
create table images (
  sha256 text primary key check (sha256 ~ '^[0-9a-f]{64}$'),
  object_key text not null unique,
  bytes bigint not null check (bytes >= 0),
  media_type text not null,
  page_count int check (page_count >= 0),
  rejected_reason text,
  created_at timestamptz not null default now()
);

-- Every arrival of a file in a batch, duplicates included: reconciliation counts what came, storage what is new.
create table batch_items (
  batch_id text not null references batches (id),
  source_name text not null,
  image_sha256 text not null references images (sha256),
  received_at timestamptz not null default now(),
  primary key (batch_id, source_name)
);

create table pages (
  id text primary key,
  image_sha256 text not null references images (sha256),
  page_index int not null check (page_index >= 0),
  status text not null default 'pending'
    check (status in ('pending', 'recognised', 'needs-verification', 'rejected', 'final')),
  form text,
  reason text,
  detail text,
  sheet_number text,
  -- Barcodes, registration, timings: what the recogniser said, kept for appeal kits and audits.
  recognition jsonb,
  recognised_at timestamptz,
  unique (image_sha256, page_index)
);
create index pages_status on pages (status);
create index pages_sheet_number on pages (sheet_number);

create table sheets (
  sheet_number text primary key,
  page_id text not null references pages (id),
  form text not null,
  kind text not null,
  status text not null check (status in ('needs-verification', 'final')),
  work_id text,
  updated_at timestamptz not null default now()
);

create table fields (
  page_id text not null references pages (id),
  name text not null,
  value text not null,
  confidence real not null,
  doubt text[] not null default '{}',
  -- The value after verification; equals value for fields accepted without a doubt.
  final_value text,
  status text not null check (status in ('accepted', 'doubtful', 'confirmed', 'corrected')),
  primary key (page_id, name)
);

create table verification_tasks (
  id bigint generated always as identity primary key,
  page_id text not null references pages (id),
  field text not null,
  -- Lower first: the most doubtful fields are verified first.
  priority real not null,
  allowed text not null,
  status text not null default 'open' check (status in ('open', 'leased', 'done')),
  -- Escalated by a verifier: only a senior verifier takes it from then on.
  escalated boolean not null default false,
  leased_by text,
  leased_until timestamptz,
  created_at timestamptz not null default now(),
  unique (page_id, field)
);
create index verification_tasks_open on verification_tasks (status, priority);

create table corrections (
  id bigint generated always as identity primary key,
  task_id bigint not null references verification_tasks (id),
  page_id text not null,
  field text not null,
  action text not null check (action in ('confirm', 'correct', 'escalate')),
  old_value text not null,
  new_value text not null,
  actor text not null,
  at timestamptz not null default now()
);

-- The printing system's kit manifest: which sheet numbers were issued together to one participant.
create table kits (
  kit_id text not null,
  role text not null check (role in ('registration', 'as1', 'as2-1', 'as2-2')),
  sheet_number text not null unique,
  primary key (kit_id, role)
);

create table works (
  id text primary key,
  exam_id text references exams (id),
  kit_id text unique,
  status text not null default 'incomplete' check (status in ('incomplete', 'complete')),
  created_at timestamptz not null default now()
);

create table work_sheets (
  work_id text not null references works (id),
  sheet_number text not null unique,
  role text not null check (role in ('registration', 'as1', 'as2-1', 'as2-2', 'additional-as2')),
  -- Position in the additional-AS2 chain, 1 for the first additional sheet; null for the others.
  chain_position int,
  primary key (work_id, sheet_number)
);

-- Personal data lives apart from works: experts' and most services' queries never touch this schema, and a
-- deployment can grant it to the registration role alone.
create schema personal;

create table personal.participants (
  id bigint generated always as identity primary key,
  exam_id text references exams (id),
  surname text,
  name text,
  patronymic text,
  document text,
  registration_sheet text unique
);

create table personal.participant_works (
  participant_id bigint not null references personal.participants (id),
  work_id text not null unique references works (id),
  primary key (participant_id, work_id)
);

-- Retention: every stored object, its material kind and exam; holds; destruction acts.
create table stored_objects (
  object_key text primary key,
  material text not null,
  exam_id text references exams (id),
  sha256 text not null,
  bytes bigint not null,
  created_at timestamptz not null default now(),
  destroyed_at timestamptz
);
create index stored_objects_live on stored_objects (material) where destroyed_at is null;

create table retention_policy_sets (
  year int not null,
  sha256 text not null,
  body jsonb not null,
  loaded_at timestamptz not null default now(),
  primary key (year, sha256)
);

create table legal_holds (
  id bigint generated always as identity primary key,
  object_key text references stored_objects (object_key),
  exam_id text references exams (id),
  placed_by text not null,
  reason text not null,
  placed_at timestamptz not null default now(),
  released_by text,
  released_at timestamptz,
  check ((object_key is null) <> (exam_id is null))
);

create table destruction_acts (
  id bigint generated always as identity primary key,
  at timestamptz not null default now(),
  run_by text not null,
  policy_year int not null,
  policy_sha256 text not null
);

create table destruction_act_items (
  act_id bigint not null references destruction_acts (id),
  object_key text not null references stored_objects (object_key),
  sha256 text not null,
  material text not null,
  due_day date not null,
  late boolean not null,
  primary key (act_id, object_key)
);

-- Who did what to which subject: corrections, views, exports, deletions. Append-only.
create table audit_events (
  id bigint generated always as identity primary key,
  at timestamptz not null default now(),
  actor text not null,
  action text not null,
  subject text not null,
  detail jsonb not null default '{}'
);
create index audit_events_subject on audit_events (subject, at);
