-- A hook may run a typed action instead of a script: its type and its params (templates over the
-- event, allowed environment variables and secrets), as JSON text.
ALTER TABLE hooks ADD COLUMN action TEXT;
ALTER TABLE hooks ADD COLUMN params TEXT;
