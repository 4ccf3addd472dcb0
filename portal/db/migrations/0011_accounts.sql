-- Staff sign-in: local accounts (argon2 password hashes), API tokens (stored as SHA-256 of
-- the token; the token itself is shown once), and who read which restricted dataset when.
CREATE SCHEMA IF NOT EXISTS auth;

CREATE TABLE auth.account (
    name          text PRIMARY KEY CHECK (name ~ '^[A-Za-z0-9._@-]{2,80}$'),
    password_hash text,                      -- argon2id; NULL: signs in through OIDC only
    roles         text[]      NOT NULL,      -- config/roles.yml
    source        text        NOT NULL DEFAULT 'local' CHECK (source IN ('local', 'oidc')),
    created_at    timestamptz NOT NULL DEFAULT now(),
    disabled      boolean     NOT NULL DEFAULT false
);

CREATE TABLE auth.api_token (
    id          bigserial PRIMARY KEY,
    account     text        NOT NULL REFERENCES auth.account (name) ON DELETE CASCADE,
    label       text        NOT NULL,
    token_hash  text        NOT NULL UNIQUE,  -- hex SHA-256 of the token
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL,
    revoked_at  timestamptz,
    last_used   timestamptz
);
CREATE INDEX api_token_account ON auth.api_token (account);

-- Every read of a restricted dataset (OGC API, downloads, coverages, pages).
CREATE TABLE auth.access_log (
    id        bigserial PRIMARY KEY,
    at        timestamptz NOT NULL DEFAULT now(),
    account   text        NOT NULL,
    roles     text[]      NOT NULL,
    via       text        NOT NULL,          -- session, token, basic
    dataset   text        NOT NULL,
    method    text        NOT NULL,
    path      text        NOT NULL,
    status    integer     NOT NULL
);
CREATE INDEX access_log_dataset ON auth.access_log (dataset, at);
