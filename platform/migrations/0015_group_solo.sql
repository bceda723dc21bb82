-- Group verification: a field the verifier sent out of a group is verified one by one from then on, never
-- offered in a group again.
alter table verification_tasks add column solo boolean not null default false;
