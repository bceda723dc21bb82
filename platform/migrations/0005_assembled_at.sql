-- When a work was last assembled: a kit sheet changed since then and no assembly queued (Redis lost the job)
-- is found by the requeue stage.
alter table works add column assembled_at timestamptz not null default now();
