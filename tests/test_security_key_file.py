"""The pseudonymization key file: private or refused, whoever else could read it."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from pipelines.privacy.pseudonymize import PseudonymKeyError, load_key
from pipelines.settings import get_settings


@pytest.mark.parametrize("mode", [0o640, 0o604, 0o660, 0o644, 0o666, 0o606, 0o620, 0o602])
def test_a_key_file_any_other_user_can_read_or_write_is_refused(data_dir: Path, mode: int) -> None:
    settings = get_settings()
    load_key(settings)
    settings.key_file.chmod(mode)
    with pytest.raises(PseudonymKeyError, match=f"mode {mode:04o}.*chmod 600"):
        load_key(settings)


@pytest.mark.parametrize("mode", [0o600, 0o400])
def test_a_key_file_only_its_owner_can_read_is_used(data_dir: Path, mode: int) -> None:
    settings = get_settings()
    created = load_key(settings)
    assert stat.S_IMODE(settings.key_file.stat().st_mode) == 0o600
    settings.key_file.chmod(mode)
    assert load_key(settings).secret == created.secret
