-- The pool is handed out in this order: appeals, third checks, screening, then first and second checks. A
-- stored priority and a partial index let a pull walk open checks in that order and stop at the first one
-- the expert may take, instead of sorting the whole pool on every pull.
alter table checks add column priority smallint not null generated always as (
  case round when 'appeal' then 0 when 'third' then 1 when 'screening' then 2 else 3 end) stored;
drop index checks_pool;
create index checks_pool on checks (exam_id, priority, id) where status = 'open';
create index checks_leases on checks (exam_id, leased_until) where status = 'assigned' and assigned_by is null;
-- A work's checks (settling a score, an appeal, statistics): the partial indexes above cannot serve this.
create index checks_work on checks (work_id);
