-- Paper checking. An expert's code is what they write on a checking protocol; a printed protocol (a sheet of
-- kind 'protocol', known by its sheet number) names its expert and, line by line, the check and the criteria
-- whose scores the line's cells hold. The scanned protocol, once final, becomes those checks' scores.
create sequence expert_codes start 10001 maxvalue 99999;
alter table experts add column code text not null default lpad(nextval('expert_codes')::text, 5, '0');
create unique index experts_code on experts (year, code);

create sequence protocol_numbers;

create table protocols (
  sheet_number text primary key,
  exam_id text not null references exams (id),
  expert_id text not null references users (id),
  printed_by text not null references users (id),
  printed_at timestamptz not null default now(),
  -- printed: out with the expert; scored: its scores are in; rejected: it could not be taken (reason);
  -- void: spoiled, replaced by a new print (corrections on a protocol are not allowed).
  status text not null default 'printed' check (status in ('printed', 'scored', 'rejected', 'void')),
  reason text,
  settled_at timestamptz
);

create table protocol_lines (
  sheet_number text not null references protocols (sheet_number),
  line int not null check (line between 1 and 10),
  check_id bigint not null references checks (id),
  -- The criteria whose scores the line's cells hold, in column order (K1..K6 of the form).
  criteria text[] not null,
  primary key (sheet_number, line)
);
create index protocol_lines_check on protocol_lines (check_id);
