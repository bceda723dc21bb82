-- A sheet scanned twice: only the doubts of the page that stands for the sheet are verified. A rescan's
-- tasks are held until an operator makes it the sheet's page; then the other page's unfinished tasks are held.
alter table verification_tasks drop constraint verification_tasks_status_check;
alter table verification_tasks add constraint verification_tasks_status_check
  check (status in ('open', 'leased', 'done', 'held'));
