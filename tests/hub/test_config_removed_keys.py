"""A hub.toml written for an earlier hub: a key nothing reads any more stops the
hub with the file and key named and the advice to delete the line."""

import pytest

from hub import config
from hub.config import ConfigError

# As an earlier hub's hub.example.toml had them, with the values it showed.
OLD_RATING = {
    "supplementary_days": "7",
    "supplementary_day_kind": '"natural"',
    "followup_days": "60",
    "score_preset": '"shenzhen"',
}


@pytest.mark.parametrize("key", sorted(OLD_RATING))
def test_removed_key_is_refused_with_advice_to_delete_it(tmp_path, key):
    path = tmp_path / "hub.toml"
    path.write_text('[hall]\ncode = "sz-futian"\n[rating]\ninvitation_timeout_s = 45\n'
                    "%s = %s\n" % (key, OLD_RATING[key]), encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        config.load(str(path), env={})
    assert info.value.key == "rating." + key
    assert str(info.value) == ("%s: rating.%s: no longer read by this hub; remove it from the "
                               "file (nothing replaces it)" % (path, key))


def test_file_works_once_the_removed_lines_are_deleted(tmp_path):
    path = tmp_path / "hub.toml"
    path.write_text("[rating]\ninvitation_timeout_s = 45\n", encoding="utf-8")
    cfg = config.load(str(path), env={})
    assert cfg.rating.invitation_timeout_s == 45
    assert set(vars(cfg.rating)) == {"invitation_timeout_s", "invitation_expiry_s", "channel_table"}


def test_a_key_never_known_is_still_just_unknown(tmp_path):
    path = tmp_path / "hub.toml"
    path.write_text("[rating]\nfollowup_dayz = 60\n", encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        config.load(str(path), env={})
    assert "unknown key; [rating] takes: invitation_timeout_s, invitation_expiry_s, " \
           "channel_table" in str(info.value)
    assert "no longer read" not in str(info.value)


def test_removed_keys_are_not_in_the_schema():
    for section, keys in config.REMOVED.items():
        assert not set(keys) & set(config.SCHEMA[section])
