-- A hook may run a typed action instead of a script: its type and its params (templates over the
-- event, allowed environment variables and secrets).
ALTER TABLE hooks ADD COLUMN action text;
ALTER TABLE hooks ADD COLUMN params jsonb;
