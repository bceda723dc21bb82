-- A verifier takes back a decision (undo): recorded beside the decisions themselves, who undid what and when.
alter table corrections drop constraint corrections_action_check;
alter table corrections add constraint corrections_action_check
  check (action in ('confirm', 'correct', 'escalate', 'undo'));
-- A verifier's counts (done today, in the last hour) read their own rows by time.
create index corrections_actor_at on corrections (actor, at);
