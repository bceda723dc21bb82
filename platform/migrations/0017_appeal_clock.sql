-- Appeals on the regulation's clock (issue 16): the day an appeal was filed and the day it was heard, which
-- its steps' deadlines count from; the conflict commission's decision apart from the re-check's scores; each
-- step's completion. Days are the exam region's.
alter table appeals add column filed_on date;
alter table appeals add column heard_on date;
-- The re-check's total (its scores are the appeal check's); total_after is the result the decision leaves.
alter table appeals add column recheck_total int;
alter table appeals add column decided_by text references users (id);
-- Appeals from before: filed the day they were registered, heard the day they were decided.
update appeals a set filed_on = (a.registered_at at time zone e.time_zone)::date,
    heard_on = (a.decided_at at time zone e.time_zone)::date,
    recheck_total = case when a.status = 'decided' then a.total_after end
  from works w join exams e on e.id = w.exam_id where w.id = a.work_id;
alter table appeals alter column filed_on set not null;
-- rechecked: the re-check is scored, the commission has not decided yet.
alter table appeals drop constraint appeals_status_check;
alter table appeals add constraint appeals_status_check
  check (status in ('rechecking', 'rechecked', 'decided'));

create table appeal_steps (
  appeal_id bigint not null references appeals (id),
  step text not null,
  done_on date not null,
  recorded_by text not null references users (id),
  recorded_at timestamptz not null default now(),
  primary key (appeal_id, step)
);
