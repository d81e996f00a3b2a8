-- A completion inserts one hook_executions row per hook run, and each insert paid for two things
-- that only listings and deletions use: a foreign-key check against events (a query per row, ~15 %
-- of a completion's server time) and an index of its own on event_id. The primary key becomes
-- (event_id, id), which serves "the executions of an event, in order"; deleting events still
-- deletes their executions, now in the statement trigger that removes their queue rows.
ALTER TABLE hook_executions DROP CONSTRAINT hook_executions_event_id_fkey;
ALTER TABLE hook_executions DROP CONSTRAINT hook_executions_pkey;
ALTER TABLE hook_executions ADD PRIMARY KEY (event_id, id);
DROP INDEX hook_executions_event;

DROP TRIGGER events_dequeue ON events;
DROP FUNCTION hookflow_dequeue_deleted_events();
CREATE FUNCTION hookflow_forget_deleted_events() RETURNS trigger
LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
  DELETE FROM event_queue q USING deleted_events d WHERE q.id = d.id;
  DELETE FROM hook_executions x USING deleted_events d WHERE x.event_id = d.id;
  RETURN NULL;
END
$$;
CREATE TRIGGER events_forget AFTER DELETE ON events
  REFERENCING OLD TABLE AS deleted_events
  FOR EACH STATEMENT EXECUTE FUNCTION hookflow_forget_deleted_events();
