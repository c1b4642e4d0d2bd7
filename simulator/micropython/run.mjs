// Run a Python script on the official MicroPython WebAssembly port, under Node.
//
//   node run.mjs [--mount HOSTDIR:FSDIR]... [--heap BYTES] SCRIPT.py [-- ARGS...]
//
// Mounts. Each HOSTDIR is copied recursively into MicroPython's in-memory
// filesystem at FSDIR (files ending .py .json .bin .txt .hex .mpy; __pycache__
// and node_modules are skipped). There is no other filesystem in there.
//
// sys.path, in this order, without duplicates:
//   1. the script's own directory (as CPython does),
//   2. "/", ".frozen" (asyncio and friends live there), "/lib",
//   3. the parent of every FSDIR, in mount order.
// So mounting the repo's protocol/ at /lib/protocol makes `import protocol`
// work, and mounting tests/ at /lib/tests makes `import tests`.
//
// The script. If SCRIPT.py lies inside a mounted HOSTDIR it runs from its
// mounted place (its siblings are then importable, as on CPython); otherwise
// it is copied to "/<basename>". sys.argv = [script's FS path, ARGS...];
// __file__ is the script's FS path and __name__ is "__main__".
// The source runs with runPythonAsync, so top-level `await` works. The runner
// is dumb: it never calls main() itself, and when the script's top level is
// done the process exits, even if asyncio tasks are still pending.
//
// Output: MicroPython's stdout/stderr bytes go to this process's stdout/stderr
// unchanged. A traceback (from the port's PythonError) is written to stderr,
// with "<stdin>" and mounted FS paths rewritten to the host paths.
//
// Exit code: 0 success; 1 the Python code raised (SystemExit(n) gives n);
// 2 harness error (bad arguments, missing file, package not installed).

import fs from "node:fs";
import path from "node:path";

const EXTENSIONS = new Set([".py", ".json", ".bin", ".txt", ".hex", ".mpy"]);
const SKIP_DIRS = new Set(["__pycache__", "node_modules"]);
const USAGE = "usage: node run.mjs [--mount HOSTDIR:FSDIR]... [--heap BYTES] SCRIPT.py [-- ARGS...]";

class HarnessError extends Error {}

function parseArgs(argv) {
  const opts = { mounts: [], heap: 8 * 1024 * 1024, script: null, args: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--mount" || a === "--heap") {
      const v = argv[++i];
      if (v === undefined) throw new HarnessError(`${a} needs a value`);
      if (a === "--heap") {
        opts.heap = Number(v);
        if (!Number.isInteger(opts.heap) || opts.heap < 65536) throw new HarnessError(`bad --heap ${v}`);
        continue;
      }
      const at = v.lastIndexOf(":");
      const host = v.slice(0, at), fsdir = v.slice(at + 1);
      if (at <= 0 || !fsdir.startsWith("/")) throw new HarnessError(`bad --mount ${v} (want HOSTDIR:/FSDIR)`);
      opts.mounts.push({ host: path.resolve(host), fsdir: path.posix.normalize(fsdir) });
    } else if (a.startsWith("--")) {
      throw new HarnessError(`unknown option ${a}`);
    } else {
      // Everything after the script belongs to it; a leading "--" is dropped.
      opts.script = path.resolve(a);
      opts.args = argv.slice(argv[i + 1] === "--" ? i + 2 : i + 1);
      break;
    }
  }
  if (opts.script === null) throw new HarnessError("no script given");
  if (!fs.statSync(opts.script, { throwIfNoEntry: false })?.isFile()) throw new HarnessError(`no such script: ${opts.script}`);
  for (const m of opts.mounts) {
    if (!fs.statSync(m.host, { throwIfNoEntry: false })?.isDirectory()) throw new HarnessError(`mount: no such directory: ${m.host}`);
  }
  return opts;
}

function copyTree(FS, hostDir, fsDir) {
  FS.mkdirTree(fsDir);
  for (const ent of fs.readdirSync(hostDir, { withFileTypes: true })) {
    const src = path.join(hostDir, ent.name), dst = path.posix.join(fsDir, ent.name);
    if (ent.isDirectory()) {
      if (!SKIP_DIRS.has(ent.name)) copyTree(FS, src, dst);
    } else if (EXTENSIONS.has(path.extname(ent.name))) {
      FS.writeFile(dst, fs.readFileSync(src));
    }
  }
}

// Byte sink: keeps MicroPython's bytes exact, writes whole lines (or 8 KiB).
function sink(stream) {
  let buf = Buffer.alloc(8192), n = 0;
  const flush = () => { if (n) { stream.write(Buffer.from(buf.subarray(0, n))); n = 0; } };
  const put = (bytes) => {
    for (const c of bytes) {
      buf[n++] = c;
      if (c === 10 || n === buf.length) flush();
    }
  };
  return { put, flush };
}

function drain(stream) {
  return new Promise((resolve) => stream.write("", resolve));
}

function hostPathFor(fsPath, opts, scriptFs) {
  if (fsPath === "<stdin>") return opts.script;
  for (const m of opts.mounts) {
    if (fsPath.startsWith(m.fsdir + "/")) return path.join(m.host, fsPath.slice(m.fsdir.length + 1));
  }
  return fsPath === scriptFs ? opts.script : fsPath;
}

function exitCodeOf(err, traceback, stderr) {
  if (err.type !== "SystemExit") {
    stderr(traceback);
    return 1;
  }
  const lines = err.message.trimEnd().split("\n");
  const value = lines[lines.length - 1].replace(/^SystemExit:?\s?/, "");
  if (value === "" || value === "None") return 0;
  if (/^-?\d+$/.test(value)) return Number(value) & 0xff;
  stderr(value + "\n");
  return 1;
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  let loadMicroPython;
  try {
    ({ loadMicroPython } = await import("@micropython/micropython-webassembly-pyscript"));
  } catch (e) {
    throw new HarnessError(`cannot load @micropython/micropython-webassembly-pyscript (${e.code || e.message}); run ./pingjia test once to install it`);
  }
  const out = sink(process.stdout), err = sink(process.stderr);
  const mp = await loadMicroPython({
    heapsize: opts.heap, linebuffer: false, stdout: out.put, stderr: err.put,
  });
  for (const m of opts.mounts) copyTree(mp.FS, m.host, m.fsdir);

  const owner = opts.mounts.filter((m) => opts.script.startsWith(m.host + path.sep)).pop();
  const scriptFs = owner
    ? path.posix.join(owner.fsdir, path.relative(owner.host, opts.script).split(path.sep).join("/"))
    : "/" + path.basename(opts.script);
  if (!owner) mp.FS.writeFile(scriptFs, fs.readFileSync(opts.script));

  const sysPath = [path.posix.dirname(scriptFs), "/", ".frozen", "/lib"];
  for (const m of opts.mounts) sysPath.push(path.posix.dirname(m.fsdir));
  const setup = { path: [...new Set(sysPath)], argv: [scriptFs, ...opts.args], file: scriptFs };
  const hex = Buffer.from(JSON.stringify(setup), "utf8").toString("hex");
  mp.runPython(
    "import sys, json\n" +
    `_s = json.loads(bytes.fromhex('${hex}').decode())\n` +
    "sys.path[:] = _s['path']\nsys.argv[:] = _s['argv']\n__file__ = _s['file']\n" +
    "del _s, sys, json\n");

  const source = fs.readFileSync(opts.script, "utf8");
  let code = 0;
  try {
    await mp.runPythonAsync(source);
  } catch (e) {
    if (e.name !== "PythonError") throw e;
    out.flush();
    err.flush();
    const tb = e.message.replace(/^(\s*File ")([^"]*)(")/gm,
      (_, a, p, b) => a + hostPathFor(p, opts, scriptFs) + b);
    code = exitCodeOf(e, tb, (s) => process.stderr.write(s));
  }
  out.flush();
  err.flush();
  return code;
}

async function finish(code) {
  await drain(process.stdout);
  await drain(process.stderr);
  process.exit(code);
}

process.on("unhandledRejection", (e) => {
  process.stderr.write(`run.mjs: unhandled rejection: ${e && e.stack ? e.stack : e}\n`);
  finish(1);
});

main().then(finish, (e) => {
  if (e instanceof HarnessError) {
    process.stderr.write(`run.mjs: ${e.message}\n${USAGE}\n`);
    finish(2);
  } else {
    process.stderr.write(`run.mjs: internal error: ${e && e.stack ? e.stack : e}\n`);
    finish(2);
  }
});
