-- Roles and schema. Runs as the administrator (the only migration that does): every later migration
-- runs as isms_owner, so the owner owns every object. The server logs in as isms_app, which owns
-- nothing, cannot bypass row-level security and receives only the grants it needs.
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'isms_owner') THEN
        CREATE ROLE isms_owner NOLOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS NOINHERIT;
    END IF;
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'isms_app') THEN
        CREATE ROLE isms_app LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS NOINHERIT;
    END IF;
END
$$;

-- Roles are shared by every database of the PostgreSQL instance; enforce the flags even when the
-- roles were created earlier by someone else.
ALTER ROLE isms_owner NOLOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS;
ALTER ROLE isms_app LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS;
ALTER ROLE isms_app SET search_path = isms;

CREATE SCHEMA isms AUTHORIZATION isms_owner;
REVOKE ALL ON SCHEMA isms FROM PUBLIC;
GRANT USAGE ON SCHEMA isms TO isms_app;
REVOKE CREATE ON SCHEMA public FROM PUBLIC;

ALTER TABLE public.schema_migrations OWNER TO isms_owner;
GRANT SELECT ON public.schema_migrations TO isms_app;

-- Functions are executable by PUBLIC by default; ours are granted one by one.
ALTER DEFAULT PRIVILEGES FOR ROLE isms_owner REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC;
