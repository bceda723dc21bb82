-- The audit trail is evidence: rows are added, never changed or removed. A trigger refuses UPDATE, DELETE
-- and TRUNCATE for every role, superusers included; the revoked privileges are a second guard for the
-- service's own role (the tables' owner), which would otherwise be free to switch the trigger off.
create function audit_events_append_only() returns trigger language plpgsql as $$
begin
  raise exception 'audit_events is append-only: % refused', tg_op using errcode = 'insufficient_privilege';
end
$$;

create trigger audit_events_no_change before update or delete on audit_events
  for each row execute function audit_events_append_only();
create trigger audit_events_no_truncate before truncate on audit_events
  for each statement execute function audit_events_append_only();

revoke update, delete, truncate on audit_events from public;
revoke update, delete, truncate on audit_events from current_user;
