-- Accounts (users, API tokens, the server's settings) and event sources kept in the store, so every
-- process sharing it sees the same ones. Only hashes and ciphertext are stored.

CREATE TABLE users (
  username      TEXT PRIMARY KEY,
  password_hash TEXT NOT NULL,
  role          TEXT NOT NULL CHECK (role IN ('admin', 'operator', 'viewer')),
  created_at    INTEGER NOT NULL,
  updated_at    INTEGER NOT NULL
);

-- id is the public part of a token, the lookup key; name is how people refer to it.
CREATE TABLE api_tokens (
  id          TEXT PRIMARY KEY,
  name        TEXT NOT NULL UNIQUE,
  role        TEXT NOT NULL CHECK (role IN ('admin', 'operator', 'viewer')),
  secret_hash TEXT NOT NULL,
  -- No foreign key: a token outlives the user who created it, who is named only for the record.
  created_by  TEXT,
  created_at  INTEGER NOT NULL,
  expires_at  INTEGER,
  revoked_at  INTEGER
);

CREATE TABLE settings (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
);

CREATE TABLE sources (
  kind       TEXT NOT NULL CHECK (kind IN ('webhook', 'schedule', 'watcher')),
  name       TEXT NOT NULL,
  enabled    INTEGER NOT NULL DEFAULT 1,
  config     TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (kind, name)
) WITHOUT ROWID;

-- Bumped by every source change, so servers sharing the store reload their sources cheaply.
INSERT INTO meta (key, value) VALUES ('sources_revision', 0);

-- One row per claimed firing of a schedule: the primary key makes a claim succeed exactly once.
CREATE TABLE schedule_ticks (
  name       TEXT NOT NULL,
  tick_at    INTEGER NOT NULL,
  owner      TEXT NOT NULL,
  claimed_at INTEGER NOT NULL,
  PRIMARY KEY (name, tick_at)
) WITHOUT ROWID;
