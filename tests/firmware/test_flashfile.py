"""Small flash files written by rename (firmware/app/flashfile.py): the boot
counter and the configuration survive a power cut at any point of a save."""

import json
import os

from firmware.app import flashfile
from firmware.app.clock import next_boot_count
from firmware.app.config import Config


def test_boot_counter_counts_up_and_leaves_no_temporary_file(tmp_path):
    root = str(tmp_path)
    assert [next_boot_count(root) for _ in range(3)] == [1, 2, 3]
    assert sorted(os.listdir(root)) == ["boot.cnt"]


def test_a_cut_before_the_rename_keeps_the_old_count(tmp_path):
    root = str(tmp_path)
    for _ in range(6):
        next_boot_count(root)
    (tmp_path / "boot.cnt.tmp").write_text("7")        # cut after writing, before renaming
    assert next_boot_count(root) == 7                  # that boot never ran: 7 is next
    assert not (tmp_path / "boot.cnt.tmp").exists()


def test_a_cut_between_remove_and_rename_keeps_the_new_count(tmp_path):
    """FAT refuses to rename over a file: the old one is removed first. A cut
    right then leaves only the complete .tmp, and the count goes on from it."""
    (tmp_path / "boot.cnt.tmp").write_text("41")
    assert next_boot_count(str(tmp_path)) == 42


def test_an_unreadable_count_falls_back_to_the_temporary_file(tmp_path):
    (tmp_path / "boot.cnt").write_text("")
    (tmp_path / "boot.cnt.tmp").write_text("9")
    assert next_boot_count(str(tmp_path)) == 10


def test_every_prefix_of_a_save_leaves_the_old_or_the_new_config(tmp_path):
    """Cut the .tmp write at every byte: the configuration read back is the
    old one (a torn .tmp is never preferred) and the count never restarts."""
    root = str(tmp_path)
    old = Config(root)
    old.apply({"t": "cfg", "mid": 1, "ver": 3, "hall": "市民中心", "win": "A01"})
    new_text = json.dumps({"ver": 4, "hall": "市民中心", "win": "B07"})
    for cut in range(len(new_text.encode())):
        (tmp_path / "cfg.json.tmp").write_bytes(new_text.encode()[:cut])
        c = Config(root)
        assert (c.ver, c.win) == (3, "A01")
    flashfile.write(root + "/cfg.json", new_text)
    assert (Config(root).ver, Config(root).win) == (4, "B07")
