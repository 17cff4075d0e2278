"""Keyed pseudonyms for student and teacher ids (HMAC-SHA256), and the key they depend on.

A pseudonym is the first 32 hex digits (128 bits, the truncation RFC 2104 allows) of
HMAC-SHA256(key, id). The same id always maps to the same pseudonym under the same key, so
students can be followed across years and files, but without the key nobody can go back from a
pseudonym to an id, nor test a guessed id.

The key comes from ``PARTNER_IMPACT_PSEUDONYM_KEY`` or, when that is unset, from the key file
(``settings.key_file``), which is created on first use with mode 0600. A key file that other
users can read is refused: whoever reads the key can re-identify every student.

The ingest hashes inside DuckDB, vectorized over millions of rows, with the SQL function
``pseudonym(id)`` that :func:`install_sql_function` defines on a connection: the key's padded
blocks live in a temporary table of that connection (bound as parameters, never in SQL text,
never written to the warehouse file). :meth:`PseudonymKey.pseudonymize` is the same function in
Python.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import stat
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from pipelines.settings import Settings

KEY_ENV_VAR = "PARTNER_IMPACT_PSEUDONYM_KEY"
MIN_KEY_LENGTH = 32
PSEUDONYM_HEX_DIGITS = 32
_BLOCK_SIZE = 64  # SHA-256 block size in bytes: HMAC pads the key to it.


class PseudonymKeyError(RuntimeError):
    """The pseudonymization key is missing, too short or not private enough."""


@dataclass(frozen=True)
class PseudonymKey:
    """The secret key of the pseudonyms. Its repr never shows the secret."""

    secret: bytes = field(repr=False)
    source: str

    def pseudonymize(self, raw_id: str) -> str:
        """The pseudonym of one id, exactly as given (the ingest trims cells before hashing)."""
        digest = hmac.new(self.secret, raw_id.encode("utf-8"), hashlib.sha256)
        return digest.hexdigest()[:PSEUDONYM_HEX_DIGITS]

    def fingerprint(self) -> str:
        """A public fingerprint of the key (the pseudonym of a fixed text): says whether two
        runs used the same key, and nothing about the key."""
        return self.pseudonymize("partner-impact key fingerprint")

    def padded_blocks(self) -> dict[str, bytes]:
        """The key xor-ed with HMAC's inner and outer pads, as the SQL function uses them."""
        key = self.secret
        if len(key) > _BLOCK_SIZE:
            key = hashlib.sha256(key).digest()
        key = key.ljust(_BLOCK_SIZE, b"\0")
        return {
            "pseudonym_ipad": bytes(byte ^ 0x36 for byte in key),
            "pseudonym_opad": bytes(byte ^ 0x5C for byte in key),
        }


def _check_length(secret: bytes, source: str) -> None:
    if len(secret) < MIN_KEY_LENGTH:
        raise PseudonymKeyError(
            f"The pseudonymization key from {source} is {len(secret)} characters long; "
            f"use at least {MIN_KEY_LENGTH} random characters (e.g. `openssl rand -hex 32`)."
        )


def _create_key_file(path: Path) -> None:
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return  # another process created it first; read theirs
    with os.fdopen(descriptor, "w") as handle:
        os.fchmod(handle.fileno(), 0o600)
        handle.write(secrets.token_hex(32) + "\n")
        handle.flush()
        os.fsync(handle.fileno())


def _read_key_file(path: Path) -> bytes:
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        raise PseudonymKeyError(
            f"The pseudonymization key file {path} is readable by other users "
            f"(mode {mode:04o}); refusing to use it. Restrict it with `chmod 600 {path}`."
        )
    return path.read_bytes().strip()


def load_key(settings: Settings) -> PseudonymKey:
    """The pseudonymization key: from the environment, else from the key file (created 0600).

    Raises :class:`PseudonymKeyError` when the key is too short, the key file is readable by
    group or others, or the key file lies inside the published marts folder.
    """
    from_env = os.environ.get(KEY_ENV_VAR, "").strip()
    if from_env:
        secret = from_env.encode("utf-8")
        _check_length(secret, KEY_ENV_VAR)
        return PseudonymKey(secret, KEY_ENV_VAR)
    path = settings.key_file
    if path.resolve().is_relative_to(settings.marts_dir.resolve()):
        raise PseudonymKeyError(
            f"The key file {path} is inside the published marts folder; move it elsewhere."
        )
    if not path.exists():
        _create_key_file(path)
    secret = _read_key_file(path)
    _check_length(secret, str(path))
    return PseudonymKey(secret, str(path))


def install_sql_function(conn: duckdb.DuckDBPyConnection, key: PseudonymKey) -> None:
    """Define the temporary SQL function ``pseudonym(id)`` on ``conn`` (see module docs)."""
    from pipelines.warehouse import read_sql, run_script

    run_script(conn, read_sql("pipelines.privacy", "pseudonymize.sql"), key.padded_blocks())
