-- Feedback authorship keys that live outside the database (replaces the per-board keys of 0040).
--
-- WHY. With the keys of 0040 in feedback_board_keys, the app role (whoever holds the server's
-- database credentials, or one SQL injection) could set app.organisation_id and call
-- feedback_my_post_ids() for every organisation, and a dump carried the keys. The app role can also
-- mint a session for any user (auth_login_succeeded runs after the server checked the password),
-- so no "proof of a real session" made in the database can stand for authorship. Authorship is
-- therefore bound to key material that only a user's password or a live session's bearer token
-- unlocks, and that the database never holds in the clear.
--
-- THE KEYS (computed in C with libsodium, services/auth/keys.c):
--   org_key   32 random bytes per organisation, generated at the first login of a user of an
--             organisation that has none.
--   K_org     = BLAKE2b-256(key = org_key, "isms-feedback-tags"): the organisation's tag key.
--   tags      = HMAC-SHA256(K_org, purpose || ':' || board id) computed here: per board and per
--             purpose ('author', 'me_too', 'acted'), unlinkable across boards and purposes.
--   verifier  = HMAC-SHA256(K_org, 'isms-feedback-verify'), the only trace of K_org stored here
--             (organisation_feedback_keys): it lets the database check a key it is given, not find it.
--   per user  an X25519 key pair; the secret key is wrapped twice, first under a key derived from
--             the user's password (argon2id with its own salt), then under the server secret
--             (ISMS_FEEDBACK_SECRET_FILE); org_key is sealed to the public key (crypto_box_seal).
--             A colleague's login seals org_key to every colleague who has a key pair but no seal.
--   session   sessions.feedback_box = K_org XOR HMAC-SHA256(bearer token, 'isms-feedback-session').
--             The database stores only the token's SHA-256; the server sends the pad with every
--             request and auth_session() unwraps K_org for that transaction only.
--
-- WHO CAN LEARN WHAT (README, "Anonymous feedback", says the same to operators):
--   the app role: no key (it can mint sessions, but their box is whatever it wrote);
--   a dump: tags and verifiers only; with cracked passwords still no key (the server secret);
--   the server secret and a dump: a key only by guessing a user's password at argon2id cost;
--   a live request of a member: its own organisation's key, for that transaction.

-- ---------------------------------------------------------------------------------------------
-- Bytes
-- ---------------------------------------------------------------------------------------------
CREATE FUNCTION feedback_xor(a bytea, b bytea) RETURNS bytea
    LANGUAGE plpgsql IMMUTABLE STRICT AS $$
DECLARE
    r bytea := a;
BEGIN
    IF length(a) <> length(b) THEN
        RETURN NULL;
    END IF;
    FOR i IN 0..length(a) - 1 LOOP
        r := set_byte(r, i, get_byte(a, i) # get_byte(b, i));
    END LOOP;
    RETURN r;
END $$;

-- The hex text of a 32-byte value, or NULL for anything else.
CREATE FUNCTION feedback_hex32(p text) RETURNS bytea LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN p ~ '^[0-9a-f]{64}$' THEN decode(p, 'hex') END
$$;

-- ---------------------------------------------------------------------------------------------
-- Tables (the app role is granted nothing on them)
-- ---------------------------------------------------------------------------------------------
CREATE TABLE organisation_feedback_keys (
    organisation_id uuid PRIMARY KEY REFERENCES organisations (id),
    verifier bytea NOT NULL CHECK (length(verifier) = 32)
);

CREATE TABLE user_feedback_keys (
    user_id uuid PRIMARY KEY,
    organisation_id uuid NOT NULL,
    public_key bytea NOT NULL CHECK (length(public_key) = 32),
    kek_salt bytea NOT NULL CHECK (length(kek_salt) = 16),
    secret_box bytea NOT NULL CHECK (length(secret_box) = 112),
    org_seal bytea CHECK (length(org_seal) = 80),
    FOREIGN KEY (organisation_id, user_id) REFERENCES users (organisation_id, id)
);
CREATE INDEX user_feedback_keys_org ON user_feedback_keys (organisation_id);

ALTER TABLE sessions ADD COLUMN feedback_box bytea CHECK (length(feedback_box) = 32);

ALTER TABLE organisation_feedback_keys ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
ALTER TABLE user_feedback_keys ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
CREATE POLICY owner_all ON organisation_feedback_keys TO isms_owner USING (true) WITH CHECK (true);
CREATE POLICY owner_all ON user_feedback_keys TO isms_owner USING (true) WITH CHECK (true);

-- ---------------------------------------------------------------------------------------------
-- The caller's key: the one auth_session() unwrapped, if it verifies for the caller's organisation
-- ---------------------------------------------------------------------------------------------
CREATE FUNCTION feedback_verifier_of(p_key bytea) RETURNS bytea LANGUAGE sql IMMUTABLE STRICT
    SET search_path = isms, pg_temp AS $$
    SELECT isms.feedback_hmac_sha256(p_key, convert_to('isms-feedback-verify', 'UTF8'))
$$;

-- app.feedback_key is a setting, so anybody can set it; it counts only when it verifies. Without a
-- key the caller has no posts, no reactions and cannot write.
CREATE FUNCTION feedback_key() RETURNS bytea LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = isms, pg_temp AS $$
    SELECT k.key FROM (SELECT feedback_hex32(current_setting('app.feedback_key', true)) AS key) k
      JOIN organisation_feedback_keys o ON o.organisation_id = ctx_org()
     WHERE o.verifier = feedback_verifier_of(k.key)
$$;

-- The caller's tag on a board for a purpose, or NULL without a key.
CREATE FUNCTION feedback_my_tag(p_board uuid, p_purpose text) RETURNS bytea
    LANGUAGE sql STABLE SET search_path = isms, pg_temp AS $$
    SELECT isms.feedback_tag(isms.feedback_hmac_pad(k, 54), isms.feedback_hmac_pad(k, 92),
                             p_purpose, p_board)
      FROM (SELECT isms.feedback_key() AS k) s WHERE k IS NOT NULL
$$;

-- ---------------------------------------------------------------------------------------------
-- auth_session: also unwraps the feedback key; never writes in a read-only transaction
-- ---------------------------------------------------------------------------------------------
DROP FUNCTION auth_session(text);
CREATE FUNCTION auth_session(p_token_hash text, p_pad text DEFAULT NULL) RETURNS uuid
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = isms, pg_temp AS $$
DECLARE
    s sessions%ROWTYPE;
    u_disabled boolean;
    v_key bytea;
BEGIN
    SELECT * INTO s FROM sessions WHERE token_hash = p_token_hash;
    SELECT disabled INTO u_disabled FROM users WHERE id = s.user_id;
    IF s.id IS NULL OR s.revoked_at IS NOT NULL OR s.expires_at <= now()
       OR s.last_used_at + make_interval(secs => s.idle_seconds) <= now() OR u_disabled THEN
        RAISE EXCEPTION USING ERRCODE = 'IC401', MESSAGE = 'unauthenticated',
            DETAIL = 'the session is missing, expired or revoked; log in again';
    END IF;
    IF current_setting('transaction_read_only') = 'off'
       AND s.last_used_at < now() - least(interval '60 seconds',
                                          make_interval(secs => s.idle_seconds / 2)) THEN
        UPDATE sessions SET last_used_at = now() WHERE id = s.id;
    END IF;
    v_key := feedback_xor(s.feedback_box, feedback_hex32(p_pad));
    IF v_key IS NOT NULL AND NOT EXISTS (
           SELECT 1 FROM organisation_feedback_keys
            WHERE organisation_id = s.organisation_id AND verifier = feedback_verifier_of(v_key)) THEN
        v_key := NULL;
    END IF;
    PERFORM set_config('app.user_id', s.user_id::text, true),
            set_config('app.organisation_id', s.organisation_id::text, true),
            set_config('app.session_id', s.id::text, true),
            set_config('app.feedback_key', coalesce(encode(v_key, 'hex'), ''), true);
    RETURN s.user_id;
END $$;

-- ---------------------------------------------------------------------------------------------
-- Login: the key material of a user (by e-mail) and the session with its box
-- ---------------------------------------------------------------------------------------------
-- What the server needs to unlock a user's feedback key at login, and the colleagues still
-- waiting for the organisation key (at most 16 per login). Nothing here opens without the user's
-- password and the server secret.
CREATE FUNCTION auth_login_keys(p_email text) RETURNS json
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = isms, pg_temp AS $$
    SELECT json_build_object(
        'verifier', encode(o.verifier, 'hex'),
        'public_key', encode(k.public_key, 'hex'), 'kek_salt', encode(k.kek_salt, 'hex'),
        'secret_box', encode(k.secret_box, 'hex'), 'org_seal', encode(k.org_seal, 'hex'),
        'holders', (SELECT count(*) FROM user_feedback_keys h
                     WHERE h.organisation_id = u.organisation_id AND h.user_id <> u.id
                       AND h.org_seal IS NOT NULL),
        'pending', coalesce((SELECT json_agg(json_build_object('user_id', p.user_id,
                                             'public_key', encode(p.public_key, 'hex')))
                               FROM (SELECT * FROM user_feedback_keys p
                                      WHERE p.organisation_id = u.organisation_id
                                        AND p.user_id <> u.id AND p.org_seal IS NULL
                                      LIMIT 16) p), '[]'))
      FROM users u
      LEFT JOIN user_feedback_keys k ON k.user_id = u.id
      LEFT JOIN organisation_feedback_keys o ON o.organisation_id = u.organisation_id
     WHERE lower(u.email) = lower(p_email) AND NOT u.disabled
$$;

-- Stores what the server made at login (p_keys, see keys.c) and returns the session's box.
CREATE FUNCTION auth_store_login_keys(u users, p_keys jsonb) RETURNS bytea
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = isms, pg_temp AS $$
DECLARE
    v_box bytea := decode(p_keys ->> 'box', 'hex');
    v_seal bytea := decode(p_keys ->> 'org_seal', 'hex');
    v_verifier bytea := feedback_hex32(p_keys ->> 'verifier');
BEGIN
    IF v_verifier IS NOT NULL THEN
        -- A new organisation key: only when nobody else of the organisation holds the current one.
        IF EXISTS (SELECT 1 FROM user_feedback_keys WHERE organisation_id = u.organisation_id
                      AND user_id <> u.id AND org_seal IS NOT NULL) THEN
            v_box := NULL;
            v_seal := NULL;
        ELSE
            INSERT INTO organisation_feedback_keys (organisation_id, verifier)
            VALUES (u.organisation_id, v_verifier)
            ON CONFLICT (organisation_id) DO UPDATE SET verifier = EXCLUDED.verifier;
        END IF;
    END IF;
    INSERT INTO user_feedback_keys (user_id, organisation_id, public_key, kek_salt, secret_box, org_seal)
    VALUES (u.id, u.organisation_id, decode(p_keys ->> 'public_key', 'hex'),
            decode(p_keys ->> 'kek_salt', 'hex'), decode(p_keys ->> 'secret_box', 'hex'), v_seal)
    ON CONFLICT (user_id) DO UPDATE
        SET public_key = EXCLUDED.public_key, kek_salt = EXCLUDED.kek_salt,
            secret_box = EXCLUDED.secret_box, org_seal = EXCLUDED.org_seal;
    UPDATE user_feedback_keys k SET org_seal = decode(s.seal, 'hex')
      FROM jsonb_to_recordset(coalesce(p_keys -> 'shares', '[]')) AS s (user_id uuid, seal text)
     WHERE k.user_id = s.user_id AND k.organisation_id = u.organisation_id AND k.org_seal IS NULL
       AND length(decode(s.seal, 'hex')) = 80;
    RETURN CASE WHEN length(v_box) = 32 THEN v_box END;
END $$;

DROP FUNCTION auth_login_succeeded(uuid, text, text, integer, integer);
CREATE FUNCTION auth_login_succeeded(p_user_id uuid, p_token_hash text, p_addr text,
                                     p_ttl integer, p_idle integer, p_keys jsonb DEFAULT NULL)
    RETURNS json LANGUAGE plpgsql SECURITY DEFINER SET search_path = isms, pg_temp AS $$
DECLARE
    u users%ROWTYPE;
    v_session uuid;
    v_box bytea;
    v_expires timestamptz := now() + make_interval(secs => p_ttl);
BEGIN
    SELECT * INTO u FROM users WHERE id = p_user_id AND NOT disabled;
    IF u.id IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'IC401', MESSAGE = 'invalid_credentials',
            DETAIL = 'the e-mail address or the password is wrong';
    END IF;
    DELETE FROM login_failures WHERE email = lower(u.email);
    IF p_keys IS NOT NULL THEN
        v_box := auth_store_login_keys(u, p_keys);
    END IF;
    INSERT INTO sessions (user_id, organisation_id, token_hash, client_addr, expires_at,
                          idle_seconds, feedback_box)
    VALUES (u.id, u.organisation_id, p_token_hash, p_addr, v_expires, p_idle, v_box)
    RETURNING id INTO v_session;
    PERFORM set_config('app.user_id', u.id::text, true),
            set_config('app.organisation_id', u.organisation_id::text, true);
    PERFORM audit('login', 'session', v_session, NULL, u.organisation_id);
    RETURN json_build_object('expires_at', v_expires, 'user_id', u.id);
END $$;

-- A password set without the old one (an invitation) loses the user's wrapped key: the user
-- gets a new key pair at the next login and the organisation key from a colleague's login.
CREATE OR REPLACE FUNCTION auth_accept_invitation(p_token_hash text, p_hash text) RETURNS json
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = isms, pg_temp AS $$
DECLARE
    i invitations%ROWTYPE;
BEGIN
    SELECT * INTO i FROM invitations WHERE token_hash = p_token_hash FOR UPDATE;
    IF i.id IS NULL OR i.used_at IS NOT NULL OR i.expires_at <= now() THEN
        PERFORM raise_error('410', 'invitation_invalid',
                            'the invitation is unknown, already used or expired; ask for a new one');
    END IF;
    UPDATE invitations SET used_at = now() WHERE id = i.id;
    -- An invited address becomes the login only now (see 0050): taken meanwhile, the invitation
    -- is as invalid as an unknown one.
    BEGIN
        UPDATE users SET email = coalesce(pending_email, email), pending_email = NULL,
                         password_hash = p_hash, password_changed_at = now()
         WHERE id = i.user_id;
    EXCEPTION WHEN unique_violation THEN
        PERFORM raise_error('410', 'invitation_invalid',
                            'the invitation is unknown, already used or expired; ask for a new one');
    END;
    UPDATE sessions SET revoked_at = now() WHERE user_id = i.user_id AND revoked_at IS NULL;
    DELETE FROM user_feedback_keys WHERE user_id = i.user_id;
    PERFORM set_config('app.user_id', i.user_id::text, true),
            set_config('app.organisation_id', i.organisation_id::text, true);
    PERFORM audit('invitation_accept', 'user', i.user_id, NULL, i.organisation_id);
    RETURN json_build_object('user_id', i.user_id);
END $$;

-- A password change re-wraps the user's secret key under the new password (p_secret_box and
-- p_kek_salt, made by the server from the old and the new password); without them (the key could
-- not be opened) the wrapped key is dropped as after an invitation.
CREATE FUNCTION auth_set_own_password(p_hash text, p_kek_salt text, p_secret_box text)
    RETURNS void LANGUAGE plpgsql SECURITY DEFINER SET search_path = isms, pg_temp AS $$
BEGIN
    IF ctx_user() IS NULL THEN
        PERFORM raise_error('401', 'unauthenticated', 'log in again');
    END IF;
    UPDATE users SET password_hash = p_hash, password_changed_at = now() WHERE id = ctx_user();
    UPDATE sessions SET revoked_at = now() WHERE user_id = ctx_user() AND revoked_at IS NULL;
    IF length(decode(p_secret_box, 'hex')) = 112 AND length(decode(p_kek_salt, 'hex')) = 16 THEN
        UPDATE user_feedback_keys SET secret_box = decode(p_secret_box, 'hex'),
               kek_salt = decode(p_kek_salt, 'hex')
         WHERE user_id = ctx_user();
    ELSE
        DELETE FROM user_feedback_keys WHERE user_id = ctx_user();
    END IF;
    PERFORM audit('password_change', 'user', ctx_user(), NULL, ctx_org());
END $$;

CREATE OR REPLACE FUNCTION auth_set_own_password(p_hash text) RETURNS void
    LANGUAGE sql SECURITY DEFINER SET search_path = isms, pg_temp AS $$
    SELECT auth_set_own_password(p_hash, NULL, NULL)
$$;

-- The current user's key material, for re-wrapping at a password change.
CREATE FUNCTION auth_own_keys() RETURNS json
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = isms, pg_temp AS $$
    SELECT json_build_object('kek_salt', encode(kek_salt, 'hex'),
                             'secret_box', encode(secret_box, 'hex'))
      FROM user_feedback_keys WHERE user_id = ctx_user()
$$;

-- ---------------------------------------------------------------------------------------------
-- Authorship from the key, not from the organisation setting
-- ---------------------------------------------------------------------------------------------
CREATE OR REPLACE FUNCTION feedback_my_post_ids() RETURNS uuid[] LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = isms, pg_temp AS $$
    SELECT coalesce(array_agg(p.id), '{}')
      FROM (SELECT feedback_key() AS k) s
      CROSS JOIN LATERAL (SELECT feedback_hmac_pad(s.k, 54) AS i, feedback_hmac_pad(s.k, 92) AS o) pads
      JOIN feedback_boards b ON b.cluster_id = ANY (feedback_member_clusters())
      JOIN feedback_posts p ON p.board_id = b.id
           AND p.author_tag = feedback_tag(pads.i, pads.o, 'author', b.id)
     WHERE s.k IS NOT NULL
$$;

CREATE OR REPLACE FUNCTION feedback_my_reactions() RETURNS uuid[] LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = isms, pg_temp AS $$
    SELECT coalesce(array_agg(r.post_id), '{}')
      FROM (SELECT feedback_key() AS k) s
      CROSS JOIN LATERAL (SELECT feedback_hmac_pad(s.k, 54) AS i, feedback_hmac_pad(s.k, 92) AS o) pads
      JOIN feedback_boards b ON b.cluster_id = ANY (feedback_member_clusters())
      JOIN feedback_reactions r ON r.board_id = b.id
           AND r.reactor_tag = feedback_tag(pads.i, pads.o, 'me_too', b.id)
     WHERE s.k IS NOT NULL
$$;

-- Refused without a verified key: the organisation's key reaches a new user at a colleague's
-- login (or is made at the first login when nobody in the organisation has one).
CREATE FUNCTION feedback_require_key() RETURNS void LANGUAGE plpgsql STABLE AS $$
BEGIN
    IF feedback_key() IS NULL THEN
        PERFORM raise_error('409', 'feedback_key_pending',
            'your account does not hold your organisation''s feedback key yet; it arrives when a '
            'colleague logs in (or log out and in again if nobody else in your organisation uses '
            'this service)');
    END IF;
END $$;

CREATE OR REPLACE FUNCTION feedback_post_before_insert() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = isms, pg_temp AS $$
BEGIN
    IF ctx_org() IS NULL THEN
        PERFORM raise_not_found();
    END IF;
    PERFORM feedback_require_open(NEW.board_id);
    PERFORM feedback_require_key();
    NEW.author_tag := feedback_my_tag(NEW.board_id, 'author');
    IF (SELECT count(*) FROM feedback_posts WHERE board_id = NEW.board_id AND batch IS NULL
           AND author_tag = NEW.author_tag) >= 50 THEN
        PERFORM raise_error('409', 'too_many_waiting', 'your organisation already has 50 posts '
                            'waiting on this board; post again after the next release');
    END IF;
    NEW.batch := NULL;
    NEW.released_on := NULL;
    NEW.rank := NULL;
    NEW.me_too := 0;
    NEW.hidden := false;
    NEW.hidden_reason := NULL;
    RETURN NEW;
END $$;

CREATE OR REPLACE FUNCTION feedback_me_too_set(p_post uuid, p_on boolean) RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = isms, pg_temp AS $$
DECLARE
    p record;
    v_tag bytea;
BEGIN
    SELECT fp.cluster_id, fp.board_id, fp.author_tag INTO p
      FROM feedback_posts fp
     WHERE fp.id = p_post AND fp.batch IS NOT NULL AND NOT fp.hidden
       AND fp.cluster_id = ANY (feedback_poster_clusters());
    PERFORM feedback_require_key();
    IF p.board_id IS NULL OR p.author_tag = feedback_my_tag(p.board_id, 'author') THEN
        PERFORM raise_not_found();
    END IF;
    v_tag := feedback_my_tag(p.board_id, 'me_too');
    IF p_on THEN
        INSERT INTO feedback_reactions (post_id, cluster_id, board_id, reactor_tag)
        VALUES (p_post, p.cluster_id, p.board_id, v_tag) ON CONFLICT DO NOTHING;
    ELSE
        DELETE FROM feedback_reactions WHERE post_id = p_post AND reactor_tag = v_tag;
    END IF;
END $$;

-- The per-board keys go: posts written before this migration keep tags that nobody can recompute.
DROP TRIGGER feedback_boards_add_key ON feedback_boards;
DROP FUNCTION feedback_board_add_key();
DROP TABLE feedback_board_keys;

REVOKE EXECUTE ON FUNCTION auth_store_login_keys(users, jsonb) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION feedback_xor(bytea, bytea), feedback_hex32(text),
      feedback_verifier_of(bytea), feedback_key(), feedback_my_tag(uuid, text),
      auth_session(text, text), auth_login_keys(text),
      auth_login_succeeded(uuid, text, text, integer, integer, jsonb),
      auth_set_own_password(text, text, text), auth_own_keys(), feedback_require_key()
    TO isms_app;
