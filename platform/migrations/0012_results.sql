-- Participants' results (issue 16): answer sheet 1 scored by its variant's key, the experts' answer sheet 2,
-- the total converted by the subject's scale. A result remembers the scoring it was computed under, so a
-- changed key or scale is seen and the results recomputed.

-- Which variant (KIM number) a work answered: its AS1 is scored by that variant's key.
create table work_variants (
  work_id text primary key references works (id),
  variant text not null,
  set_by text not null,
  set_at timestamptz not null default now()
);

-- Every subject's scoring (keys, rules, scale) results were computed under, by digest.
create table scoring_sets (
  sha256 text primary key check (sha256 ~ '^[0-9a-f]{64}$'),
  year int not null,
  exam text not null,
  subject_code text not null,
  body jsonb not null,
  loaded_at timestamptz not null default now()
);

-- One result per work (the participant behind its work code); per-task marks in `tasks`.
create table participant_results (
  work_id text primary key references works (id),
  exam_id text not null references exams (id),
  status text not null check (status in ('complete', 'incomplete')),
  reasons text[] not null default '{}',
  variant text,
  as1 int,
  as2 int,
  primary_score int,
  -- The test score (EGE) or the five-point mark (OGE, GVE), by `scale`; null while incomplete.
  score int,
  scale text not null check (scale in ('test-score', 'mark')),
  tasks jsonb not null,
  scoring_sha256 text not null references scoring_sets (sha256),
  computed_at timestamptz not null default now()
);
create index participant_results_exam on participant_results (exam_id);
