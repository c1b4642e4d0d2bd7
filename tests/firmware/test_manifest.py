"""firmware/manifest.py, run as MicroPython's manifest runner runs it (its functions
recorded here): protocol/ whole, firmware/ with only the chosen board, nothing else."""

import os

import pytest

from simulator.mpy import REPO_ROOT

MANIFEST = os.path.join(REPO_ROOT, "firmware", "manifest.py")


class Options:
    def __init__(self, **given):
        self.__dict__.update(given)

    def defaults(self, **kw):
        for k, v in kw.items():
            self.__dict__.setdefault(k, v)


def _run(**given):
    calls = []
    env = {"options": Options(**given),
           "include": lambda path, **kw: calls.append(("include", path)),
           "package": lambda path, files=None, base_path=".", opt=None:
               calls.append(("package", path, files, base_path)),
           "__file__": MANIFEST}
    here = os.getcwd()
    os.chdir(os.path.dirname(MANIFEST))     # the runner's way: paths relative to the manifest
    try:
        with open(MANIFEST) as f:
            exec(compile(f.read(), MANIFEST, "exec"), env)
    finally:
        os.chdir(here)
    return calls


def test_freezes_protocol_and_the_reference_board_only():
    calls = _run()
    assert ("include", "$(PORT_DIR)/boards/manifest.py") in calls
    assert ("package", "protocol", None, "..") in calls
    (files,) = [c[2] for c in calls if c[:2] == ("package", "firmware")]
    boards = sorted(f for f in files if f.startswith("boards/"))
    assert boards == ["boards/__init__.py", "boards/esp32s3_ref.py", "boards/parts.py"]
    assert "manifest.py" not in files
    for part in ("main.py", "app/main.py", "app/flow.py", "ui/font.py", "journal/__init__.py",
                 "net/mqtt_client.py"):
        assert part in files
    for f in files:
        assert os.path.isfile(os.path.join(REPO_ROOT, "firmware", f)), f


def test_another_board_is_chosen_by_option_and_a_wrong_one_is_refused():
    (files,) = [c[2] for c in _run(board="unix") if c[:2] == ("package", "firmware")]
    boards = sorted(f for f in files if f.startswith("boards/"))
    assert boards == ["boards/__init__.py", "boards/parts.py", "boards/sim.py", "boards/unix.py"]
    with pytest.raises(ValueError, match="no board module firmware/boards/nosuch.py"):
        _run(board="nosuch")


def test_frozen_code_finds_its_font_under_lib(tmp_path, monkeypatch):
    """Frozen, font.py's __file__ is its path inside the image: no font beside it."""
    from firmware.ui import font
    assert font.default_path().endswith("/firmware/fonts/unifont16.bin")
    assert os.path.isfile(font.default_path())          # the tree's own, beside the package
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(font, "__file__", "firmware/ui/font.py")
    assert font.default_path() == "/lib/firmware/fonts/unifont16.bin"
