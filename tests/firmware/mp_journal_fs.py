"""An in-memory filesystem that records every write, to cut power anywhere.

Runs on CPython and MicroPython. MemFS has the interface the journal expects
(firmware/journal/osfs.py). Every change goes into MemFS.log, in order:

    ("new", path)              open(path, "wb"): the file now exists, empty
    ("w", path, pos, data)     a write
    ("sync", path)             what was written to path is durable
    ("mv", src, dst)           rename (replaces dst)
    ("rm", path)               remove

A power cut is a position in that log counted in units: a write weighs its
length in bytes, any other entry 1. state_at(log, cut) is what the flash
holds when the cut comes before unit CUT: every entry wholly before it
happened, a write that straddles it landed partly. Metadata entries are
atomic and durable (littlefs; FAT keeps them in order with the data syncs).
Bytes written since their file's last sync are "dirty": corrupt() may flip
them or append junk past the end, as a torn flash write or a FAT file whose
size moved before its data did.
"""


class MemFile:
    def __init__(self, fs, path):
        self.fs = fs
        self.path = path
        self.pos = 0

    def seek(self, off, whence=0):
        if whence == 2:
            off += len(self.fs.files[self.path])
        elif whence == 1:
            off += self.pos
        self.pos = off
        return off

    def tell(self):
        return self.pos

    def readinto(self, buf):
        data = self.fs.files[self.path]
        n = max(0, min(len(buf), len(data) - self.pos))
        buf[:n] = data[self.pos:self.pos + n]
        self.pos += n
        return n

    def write(self, buf):
        data = bytes(buf)
        self.fs.log.append(("w", self.path, self.pos, data))
        _put(self.fs.files[self.path], self.pos, data)
        self.pos += len(data)
        return len(data)

    def flush(self):
        pass

    def close(self):
        pass


def _put(target, pos, data):
    if pos > len(target):
        target.extend(bytes(pos - len(target)))
    head = data[:max(0, len(target) - pos)]
    target[pos:pos + len(head)] = head
    target.extend(data[len(head):])


class MemFS:
    def __init__(self, files=None, atomic_rename=True):
        self.files = {}
        for path in files or {}:
            self.files[path] = bytearray(files[path])
        self.atomic_rename = atomic_rename
        self.log = []

    def open(self, path, mode):
        if "w" in mode:
            self.files[path] = bytearray()
            self.log.append(("new", path))
        elif path not in self.files:
            raise OSError(2)
        return MemFile(self, path)

    def size(self, path):
        data = self.files.get(path)
        return None if data is None else len(data)

    def remove(self, path):
        if path not in self.files:
            raise OSError(2)
        del self.files[path]
        self.log.append(("rm", path))

    def rename(self, src, dst):
        if src not in self.files:
            raise OSError(2)
        if dst in self.files and not self.atomic_rename:
            raise OSError(17)       # as FAT: the caller removes dst first
        self.files[dst] = self.files.pop(src)
        self.log.append(("mv", src, dst))

    def sync(self, f):
        self.log.append(("sync", f.path))

    def sync_dir(self, path):
        pass


def weight(entry):
    return len(entry[3]) if entry[0] == "w" else 1


def units(log):
    total = 0
    for entry in log:
        total += weight(entry)
    return total


def state_at(log, cut):
    """-> (files, dirty): path -> bytearray, path -> [(start, end), ...]."""
    files = {}
    dirty = {}
    left = cut
    for entry in log:
        if left <= 0:
            break
        op, path = entry[0], entry[1]
        if op == "w":
            data = entry[3][:left]
            _put(files[path], entry[2], data)
            if data:
                dirty[path].append((entry[2], entry[2] + len(data)))
        elif op == "new":
            files[path] = bytearray()
            dirty[path] = []
        elif op == "sync":
            dirty[path] = []
        elif op == "mv":
            files[entry[2]] = files.pop(path)
            dirty[entry[2]] = dirty.pop(path)
        elif op == "rm":
            del files[path]
            del dirty[path]
        left -= weight(entry)
    return files, dirty


def corrupt(files, dirty, rng, junk_pool=b""):
    """Flip dirty bytes and append junk to files with dirty bytes; -> count."""
    done = 0
    for path in sorted(dirty):
        spans = dirty[path]
        if not spans:
            continue
        data = files[path]
        for _ in range(rng.between(1, 3)):
            start, end = spans[rng.below(len(spans))]
            at = rng.between(start, end - 1)
            if at < len(data):
                data[at] ^= 1 << rng.below(8)
                done += 1
        kind = rng.below(4)
        n = rng.between(1, 48)
        if kind == 0:
            junk = b"\xff" * n
        elif kind == 1:
            junk = bytes(n)
        elif kind == 2 or len(junk_pool) < n:
            junk = rng.bytes(n)
        else:               # earlier bytes, old records of older files among them
            at = rng.below(len(junk_pool) - n + 1)
            junk = junk_pool[at:at + n]
        data.extend(junk)
        done += 1
    return done
