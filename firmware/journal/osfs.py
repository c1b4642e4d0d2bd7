"""The filesystem as the journal uses it, over `os` (MicroPython and CPython).

Any object with these methods can stand in (`Journal(..., fs=...)`); the
crash tests pass an in-memory one that records every write:

    open(path, mode)   file object, mode "rb", "r+b" or "wb"; the journal
                       calls only seek, readinto, write, close on it
    size(path)         bytes in the file, or None when there is none
    remove(path)
    rename(src, dst)   may replace DST, or may raise OSError when DST exists
                       (FAT): replace() below copes with both
    sync(f)            make what was written through F durable
    sync_dir(path)     make a rename or removal of PATH durable

Durability per platform:
- MicroPython on littlefs (the ESP32-S3 default): f.flush() is
  lfs_file_sync, an atomic commit: after a power cut a file holds exactly
  what it held at its last sync, so a torn record never even shows.
  rename is atomic and may replace its target. Both are durable on return.
- MicroPython on FAT: f.flush() is f_sync (data, then the directory entry);
  a cut during a write can leave a torn or junk tail, which the journal
  drops at open. os.rename removes an existing target first, so a cut can
  leave only the new file: the journal's open rule takes it.
- CPython: flush, then os.fsync; after a rename the directory is fsynced.
- The MicroPython WebAssembly port keeps files in memory: nothing survives
  the process; the tests simulate cuts instead.
"""

import os


class OsFS:
    """The real filesystem."""

    def open(self, path, mode):
        return open(path, mode)

    def size(self, path):
        try:
            return os.stat(path)[6]
        except OSError:
            return None

    def remove(self, path):
        os.remove(path)

    def rename(self, src, dst):
        os.rename(src, dst)

    def sync(self, f):
        f.flush()                       # MicroPython: the commit itself
        if hasattr(os, "fsync"):        # CPython: flush only reached the OS
            os.fsync(f.fileno())
        elif hasattr(os, "sync"):       # MicroPython ports that have it: belt and braces
            os.sync()

    def sync_dir(self, path):
        if not hasattr(os, "fsync"):
            return                      # MicroPython: rename/remove commit on return
        cut = path.rfind("/")
        fd = os.open(path[:cut] if cut > 0 else ("/" if cut == 0 else "."), os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def replace(fs, src, dst):
    """Rename SRC over DST, also where rename refuses an existing target."""
    try:
        fs.rename(src, dst)
    except OSError:
        if fs.size(dst) is None:
            raise
        # Not atomic: a cut between these two leaves only SRC, which is
        # complete by now; Journal's open rule adopts it.
        fs.remove(dst)
        fs.rename(src, dst)
    fs.sync_dir(dst)


def remove_quiet(fs, path):
    if fs.size(path) is not None:
        fs.remove(path)
