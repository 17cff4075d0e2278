"""Pseudonymization: the key's life cycle and the SQL function against a reference HMAC."""

from __future__ import annotations

import hashlib
import hmac
import stat
from pathlib import Path

import duckdb
import pytest

from pipelines.privacy.pseudonymize import (
    KEY_ENV_VAR,
    PseudonymKey,
    PseudonymKeyError,
    install_sql_function,
    load_key,
)
from pipelines.settings import get_settings


def test_key_file_is_created_private_on_first_use_and_then_reused(data_dir: Path) -> None:
    settings = get_settings()
    assert not settings.key_file.exists()
    first = load_key(settings)
    assert stat.S_IMODE(settings.key_file.stat().st_mode) == 0o600
    assert stat.S_IMODE(settings.key_file.parent.stat().st_mode) & 0o077 == 0
    assert len(first.secret) == 64
    assert load_key(settings).secret == first.secret


def test_world_readable_key_file_is_refused(data_dir: Path) -> None:
    settings = get_settings()
    load_key(settings)
    settings.key_file.chmod(0o644)
    with pytest.raises(PseudonymKeyError, match="chmod 600"):
        load_key(settings)


def test_key_from_environment_overrides_the_file(data_dir: Path, monkeypatch) -> None:
    monkeypatch.setenv(KEY_ENV_VAR, "k" * 40)
    key = load_key(get_settings())
    assert key.secret == b"k" * 40
    assert key.source == KEY_ENV_VAR
    assert not get_settings().key_file.exists()
    monkeypatch.setenv(KEY_ENV_VAR, "short")
    with pytest.raises(PseudonymKeyError, match="at least 32"):
        load_key(get_settings())


def test_key_file_inside_the_marts_folder_is_refused(data_dir: Path, monkeypatch) -> None:
    monkeypatch.setenv("PARTNER_IMPACT_KEY_FILE", str(data_dir / "marts" / "pseudonym.key"))
    with pytest.raises(PseudonymKeyError, match="published marts"):
        load_key(get_settings())


@pytest.mark.parametrize("secret", [b"s" * 32, b"a longer secret " * 8])  # short and > 64 bytes
def test_sql_pseudonym_is_hmac_sha256_truncated(secret: bytes) -> None:
    key = PseudonymKey(secret, "test")
    ids = ["1122334455", "0001", "T-77", "élève", ""]
    conn = duckdb.connect()
    install_sql_function(conn, key)
    from_sql = [
        row[0]
        for row in conn.execute(
            "SELECT pseudonym(id) FROM unnest($ids::VARCHAR[]) WITH ORDINALITY AS t(id, n) "
            "ORDER BY n",
            {"ids": ids},
        ).fetchall()
    ]
    expected = [hmac.new(secret, i.encode(), hashlib.sha256).hexdigest()[:32] for i in ids]
    assert from_sql == expected
    assert [key.pseudonymize(i) for i in ids] == expected
    assert "secret" not in repr(key) and secret.decode() not in repr(key)


def test_key_never_persists_in_the_database(tmp_path: Path) -> None:
    key = PseudonymKey(b"z" * 48, "test")
    path = tmp_path / "w.duckdb"
    conn = duckdb.connect(str(path))
    install_sql_function(conn, key)
    conn.execute("CREATE TABLE t AS SELECT pseudonym('42') AS p").fetchall()
    conn.close()
    stored = path.read_bytes()
    assert b"z" * 16 not in stored
    assert all(block[:16] not in stored for block in key.padded_blocks().values())
    reopened = duckdb.connect(str(path))
    names = {
        row[0] for row in reopened.execute("SELECT table_name FROM duckdb_tables()").fetchall()
    }
    assert names == {"t"}
