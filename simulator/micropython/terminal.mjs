// One simulated terminal on the real MicroPython WebAssembly port, its serial
// line on a pty: the firmware runs unchanged (firmware/boards/wasm.py over
// boards/sim.py), Node moves bytes, buttons, time and the screen across.
//
//   node terminal.mjs --repo DIR --dev T0001 --key HEX64 --line-fd N
//
// --line-fd: an inherited file descriptor, the master side of a pty (the
// Python host, simulator/terminal_mp.py, makes it with os.openpty and passes
// it); the hub opens the slave side with pyserial.
//
// Control: one JSON object per line on stdin, one answer per line on stdout
// ({"id": ..., "ok": true, ...}); MicroPython's own output goes to stderr.
//   {"id":1,"op":"press","b":2}       button 0..4 (left to right)
//   {"id":2,"op":"advance","ms":3000} the board's clock jumps
//   {"id":3,"op":"state"}             -> status (screen, texts, colours,
//                                        depth, online, boot) + frame (hex of
//                                        the 1-bit framebuffer, 9,600 bytes)
//   {"id":4,"op":"reboot"}            power cut and boot over the same flash
//   {"id":5,"op":"unplug"} / "plug"   the serial cable
//   {"id":6,"op":"quit"}
// The flash (/flash in MicroPython's in-memory filesystem) lives as long as
// this process: a reboot stops the firmware between two of its steps (what a
// power cut leaves: every journal write is durable on return) and boots it
// again in the same interpreter over the same files.

import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import readline from "node:readline";
import tty from "node:tty";

const EXTENSIONS = new Set([".py", ".bin"]);

function args(argv) {
  const o = {};
  for (let i = 0; i < argv.length; i += 2) o[argv[i].replace(/^--/, "")] = argv[i + 1];
  for (const k of ["repo", "dev", "key", "line-fd"]) {
    if (!o[k]) { process.stderr.write(`terminal.mjs: --${k} is required\n`); process.exit(2); }
  }
  if (!/^[0-9a-f]{64}$/.test(o.key) || !/^[A-Za-z0-9._-]{1,32}$/.test(o.dev)) {
    process.stderr.write("terminal.mjs: --key must be 64 lowercase hex digits, --dev a device id\n");
    process.exit(2);
  }
  return o;
}

function copyPy(FS, hostDir, fsDir) {
  FS.mkdirTree(fsDir);
  for (const ent of fs.readdirSync(hostDir, { withFileTypes: true })) {
    const src = path.join(hostDir, ent.name), dst = path.posix.join(fsDir, ent.name);
    if (ent.isDirectory()) {
      if (ent.name !== "__pycache__") copyPy(FS, src, dst);
    } else if (EXTENSIONS.has(path.extname(ent.name))) {
      FS.writeFile(dst, fs.readFileSync(src));
    }
  }
}

const opts = args(process.argv.slice(2));
const lineFd = Number(opts["line-fd"]);
const { loadMicroPython } = await import("@micropython/micropython-webassembly-pyscript");
const mp = await loadMicroPython({
  heapsize: 4 * 1024 * 1024, linebuffer: true,
  stdout: (line) => process.stderr.write(line + "\n"),
  stderr: (line) => process.stderr.write(line + "\n"),
});
copyPy(mp.FS, path.join(opts.repo, "protocol"), "/lib/protocol");
copyPy(mp.FS, path.join(opts.repo, "firmware"), "/lib/firmware");
mp.FS.mkdirTree("/flash");
mp.runPython("import sys\nsys.path[:] = ['/lib', '.frozen']\n");

// -- the serial line ------------------------------------------------------------
let rxq = [];
let plugged = true;
const line = new tty.ReadStream(lineFd);
line.on("data", (b) => { if (plugged) rxq.push(b); });
line.on("error", (e) => process.stderr.write(`terminal.mjs: line: ${e.message}\n`));
function lineWrite(buf) {
  try {
    fs.writeSync(lineFd, buf);
  } catch (e) {
    // EAGAIN: nobody reads the pty and its buffer is full; the link retransmits.
    if (e.code !== "EAGAIN") process.stderr.write(`terminal.mjs: line write: ${e.message}\n`);
  }
}

// -- the host module the board uses ------------------------------------------------
const t0 = performance.now();
let jump = 0, alive = false, presses = [], status = "{}", crashed = null, running = null;
mp.registerJsModule("simhost", {
  ticks: () => performance.now() - t0 + jump,
  random: (n) => crypto.randomBytes(n).toString("hex"),
  rx: () => {
    if (!rxq.length) return "";
    const b = Buffer.concat(rxq);
    rxq = [];
    return b.toString("hex");
  },
  tx: (hex) => { if (plugged) lineWrite(Buffer.from(hex, "hex")); },
  presses: () => { const p = presses.join(","); presses = []; return p; },
  alive: () => alive,
  status: (s) => { status = s; },
});

function boot() {
  alive = true;
  running = mp.runPythonAsync(
    "import firmware.boards.wasm\n" +
    `await firmware.boards.wasm.run("/flash", "${opts.dev}", "${opts.key}")\n`,
  ).catch((e) => {
    crashed = String(e.message || e);
    process.stderr.write(`terminal.mjs: firmware stopped: ${crashed}\n`);
  });
}

async function powerOff() {
  alive = false;
  if (running) await running;
  running = null;
}

// -- control -------------------------------------------------------------------
function reply(id, extra) {
  process.stdout.write(JSON.stringify(Object.assign({ id, ok: crashed === null, crashed }, extra)) + "\n");
}

async function command(c) {
  switch (c.op) {
    case "press": presses.push(Number(c.b)); return reply(c.id);
    case "advance": jump += Number(c.ms); return reply(c.id);
    case "state": {
      let frame = "";
      try { frame = Buffer.from(mp.FS.readFile("/screen.bin")).toString("hex"); } catch (e) { /* no frame yet */ }
      return reply(c.id, { status: JSON.parse(status), frame });
    }
    case "reboot": await powerOff(); rxq = []; boot(); return reply(c.id);
    case "unplug": plugged = false; rxq = []; return reply(c.id);
    case "plug": plugged = true; return reply(c.id);
    case "quit": await powerOff(); reply(c.id); line.destroy(); process.exit(0);
    default: return reply(c.id, { error: `unknown op ${c.op}` });
  }
}

let chain = Promise.resolve();
readline.createInterface({ input: process.stdin }).on("line", (text) => {
  let c;
  try { c = JSON.parse(text); } catch (e) { return reply(null, { error: "not JSON: " + text }); }
  chain = chain.then(() => command(c));
}).on("close", async () => { await powerOff(); process.exit(0); });

boot();
