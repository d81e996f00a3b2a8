-- Claims and lease renewals rewrite an event's status, owner, lease and attempts. PostgreSQL can
-- do that in place (a HOT update: no new index entries) only when no index reads those columns and
-- the page has room for the new version. So:
-- - unfinished events are found by processed_at, which only a completion sets (events_claimable
--   read status, so every claim added an entry to every index of the table);
-- - no index on owner: it made claims non-HOT, and the planner, misled by statistics taken while
--   few rows had an owner, used it to complete events (scanning every event the owner held, once
--   per completed event). Renewals and releases find an owner's events among the unfinished ones;
-- - half of each page is left free at insert, room for a claim's new versions of the rows on it
--   (one claim statement takes hundreds of rows, and its own old versions cannot be pruned before
--   it commits).
DROP INDEX events_claimable;
DROP INDEX events_owner;
CREATE INDEX events_unfinished ON events (id) WHERE processed_at IS NULL;
ALTER TABLE events SET (fillfactor = 50);
