-- Score appeals: registered by the conflict commission's secretary or a chair, re-checked by a leading or
-- senior expert who never checked the work, decided with the result before and after.
create table appeals (
  id bigint generated always as identity primary key,
  work_id text not null references works (id),
  registered_by text not null references users (id),
  registered_at timestamptz not null default now(),
  reason text not null,
  check_id bigint not null references checks (id),
  status text not null default 'rechecking' check (status in ('rechecking', 'decided')),
  outcome text check (outcome in ('upheld', 'rejected')),
  total_before int not null,
  total_after int,
  decided_at timestamptz
);
create index appeals_work on appeals (work_id);

-- Reference works: works with known scores mixed into the pool, to measure each expert's agreement.
create table reference_scores (
  work_id text not null references works (id),
  criterion text not null,
  points int not null check (points >= 0),
  primary key (work_id, criterion)
);
