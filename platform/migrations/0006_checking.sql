-- Expert checking of answer sheet 2. An expert is a user registered for a year and subject with a status and
-- the eligibility the rules ask for; a Check is one expert's marking of one work in one round; its scores are
-- final once submitted (a change is a correction with a reason and the chair's approval).

create table experts (
  user_id text not null references users (id),
  year int not null,
  subject_code text not null,
  status text not null check (status in ('leading', 'senior', 'main')),
  -- Without all four an expert may not check.
  trained boolean not null default false,
  qualified boolean not null default false,
  briefed boolean not null default false,
  seminar boolean not null default false,
  -- A close relative sits the exam: declared, then the ministry clears or bars the expert.
  conflict text not null default 'none' check (conflict in ('none', 'declared', 'cleared', 'barred')),
  -- Appointed by the chair to screen blank answer sheets 2.
  screening boolean not null default false,
  primary key (user_id, year, subject_code)
);

create table checks (
  id bigint generated always as identity primary key,
  work_id text not null references works (id),
  exam_id text not null references exams (id),
  round text not null check (round in ('screening', 'first', 'second', 'third', 'appeal')),
  -- The tasks this check covers (a third check may cover only the tasks the experts disagreed on).
  tasks text[] not null,
  status text not null default 'open' check (status in ('open', 'assigned', 'submitted')),
  expert_id text references users (id),
  -- A chair's assignment holds without a lease; a pulled check returns to the pool when its lease ends.
  assigned_by text references users (id),
  leased_until timestamptz,
  -- Why a third check or an appeal re-check exists, for the chair.
  reasons text[] not null default '{}',
  created_at timestamptz not null default now(),
  submitted_at timestamptz
);
-- Screening, first, second and third happen once per work; appeals may come more than once.
create unique index checks_once on checks (work_id, round) where round <> 'appeal';
create index checks_pool on checks (exam_id, status, round);
create index checks_expert on checks (expert_id, status);
-- One expert, one check of a work, however the checks were handed out (concurrent pulls included).
create unique index checks_one_per_expert on checks (work_id, expert_id) where expert_id is not null;

create table scores (
  check_id bigint not null references checks (id),
  criterion text not null,
  points int not null check (points >= 0),
  primary key (check_id, criterion)
);

create table score_corrections (
  id bigint generated always as identity primary key,
  check_id bigint not null references checks (id),
  criterion text not null,
  old_points int not null,
  new_points int not null,
  reason text not null,
  requested_by text not null,
  approved_by text not null,
  at timestamptz not null default now()
);

-- A work's result: points per criterion, and how they were reached.
create table work_results (
  work_id text primary key references works (id),
  scores jsonb not null,
  total int not null,
  basis text not null check (basis in ('two-experts', 'third-check', 'screening', 'appeal')),
  decided_at timestamptz not null default now()
);
