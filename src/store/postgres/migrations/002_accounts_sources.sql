-- Accounts (users, API tokens, the server's settings) and event sources kept in the store, so every
-- server sharing it sees the same ones. Only hashes and ciphertext are stored. Text keys use the
-- "C" collation, as in 001, so listings are ordered as on SQLite.

CREATE TABLE users (
  username      text COLLATE "C" PRIMARY KEY,
  password_hash text NOT NULL,
  role          text NOT NULL CHECK (role IN ('admin', 'operator', 'viewer')),
  created_at    bigint NOT NULL,
  updated_at    bigint NOT NULL
);

-- id is the public part of a token, the lookup key; name is how people refer to it.
CREATE TABLE api_tokens (
  id          text COLLATE "C" PRIMARY KEY,
  name        text COLLATE "C" NOT NULL UNIQUE,
  role        text NOT NULL CHECK (role IN ('admin', 'operator', 'viewer')),
  secret_hash text NOT NULL,
  -- No foreign key: a token outlives the user who created it, who is named only for the record.
  created_by  text,
  created_at  bigint NOT NULL,
  expires_at  bigint,
  revoked_at  bigint
);

CREATE TABLE settings (
  key   text COLLATE "C" PRIMARY KEY,
  value text NOT NULL
);

CREATE TABLE sources (
  kind       text NOT NULL CHECK (kind IN ('webhook', 'schedule', 'watcher')),
  name       text COLLATE "C" NOT NULL,
  enabled    boolean NOT NULL DEFAULT true,
  config     jsonb NOT NULL,
  created_at bigint NOT NULL,
  updated_at bigint NOT NULL,
  PRIMARY KEY (kind, name)
);

-- Bumped by every source change, so servers sharing the store reload their sources cheaply.
INSERT INTO meta (key, value) VALUES ('sources_revision', 0);

-- One row per claimed firing of a schedule: the primary key makes a claim succeed exactly once.
CREATE TABLE schedule_ticks (
  name       text COLLATE "C" NOT NULL,
  tick_at    bigint NOT NULL,
  owner      text NOT NULL,
  claimed_at bigint NOT NULL,
  PRIMARY KEY (name, tick_at)
);
