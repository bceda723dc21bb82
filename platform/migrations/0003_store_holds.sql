-- Whether the object store's own legal hold (S3 object lock) is on for the object, so a released hold is
-- lifted there too without asking the store about every object.
alter table stored_objects add column store_hold boolean not null default false;
