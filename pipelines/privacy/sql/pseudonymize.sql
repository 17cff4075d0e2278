-- pseudonym(id): HMAC-SHA256(key, id) truncated to 32 hex digits, for this connection only.
-- HMAC(K, m) = H((K xor opad) || H((K xor ipad) || m)); the padded key blocks are bound as
-- parameters into a TEMP table, so they stay in this connection's memory and are never written
-- to the warehouse file or to any SQL text.
CREATE OR REPLACE TEMP TABLE pseudonym_key AS
SELECT $pseudonym_ipad::BLOB AS ipad, $pseudonym_opad::BLOB AS opad;

CREATE OR REPLACE TEMP MACRO pseudonym(raw_id) AS left(
    sha256(
        (SELECT opad FROM pseudonym_key)
        || unhex(sha256((SELECT ipad FROM pseudonym_key) || encode(raw_id)))
    ),
    32
);
