-- Unfinished events get a row of their own in event_queue, the one place claims look: inserted
-- with the event, leased by a claim, renewed, and deleted when the event is completed. Leases
-- live here (events keep owner and the lease as their claim set it, for the record). With no index
-- left on events that reads a column a claim or a completion changes, both rewrite the events row
-- in place (HOT: no index entries), and a completion no longer inserts into the table's indexes
-- at all; the queue row it deletes costs less than the index entries it saves (a completion cost
-- about half the server time in a paired measurement). A queue row is written as often as the
-- events row, so its table too keeps half of each page free.
CREATE TABLE event_queue (
  id               text COLLATE "C" PRIMARY KEY,
  owner            text,
  lease_expires_at bigint
) WITH (fillfactor = 50);

INSERT INTO event_queue (id, owner, lease_expires_at)
  SELECT id, owner, lease_expires_at FROM events WHERE status IN ('pending', 'processing');

DROP INDEX events_unfinished;

-- Only finished events are deleted by hookflow (retention, `event delete`), and they have no queue
-- row; an event deleted by other means takes its queue row with it, or claims would lease it for
-- ever. A statement trigger, not a foreign key: a foreign key would check every queue insert
-- against events, on the hot path, to guard against something hookflow never does.
CREATE FUNCTION hookflow_dequeue_deleted_events() RETURNS trigger
LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
  DELETE FROM event_queue q USING deleted_events d WHERE q.id = d.id;
  RETURN NULL;
END
$$;
CREATE TRIGGER events_dequeue AFTER DELETE ON events
  REFERENCING OLD TABLE AS deleted_events
  FOR EACH STATEMENT EXECUTE FUNCTION hookflow_dequeue_deleted_events();
