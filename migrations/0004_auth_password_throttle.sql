-- Throttling of the current-password check of a password change: a wrong current password counts
-- as a failed login of the account (and of the client address), so a stolen session cannot be
-- used to guess the password faster than the login form allows.

-- The current user's stored hash and whether the account or the address is throttled, in the shape
-- of auth_login_lookup: {"user_id", "password_hash", "retry_after"}.
CREATE FUNCTION auth_password_state(p_addr text, p_max integer, p_window integer) RETURNS json
    LANGUAGE sql SECURITY DEFINER SET search_path = isms, pg_temp AS $$
    SELECT auth_login_lookup(u.email, p_addr, p_max, p_window) FROM users u WHERE u.id = ctx_user()
$$;

CREATE FUNCTION auth_password_failed(p_addr text) RETURNS void
    LANGUAGE sql SECURITY DEFINER SET search_path = isms, pg_temp AS $$
    SELECT auth_login_failed(u.email, p_addr) FROM users u WHERE u.id = ctx_user()
$$;

GRANT EXECUTE ON FUNCTION auth_password_state(text, integer, integer), auth_password_failed(text)
    TO isms_app;

-- auth_password_state() replaces the unthrottled lookup of the current user's hash.
DROP FUNCTION auth_own_password_hash();
