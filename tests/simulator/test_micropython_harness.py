"""The MicroPython harness runs real MicroPython and reports failures."""

import os

import pytest

from simulator.mpy import REPO_ROOT, protocol_mounts, run_micropython


def _script(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_output_is_seen(micropython, tmp_path):
    out = micropython(_script(tmp_path, "hello.py", "print('hello', 6 * 7)\nprint('评价', end='')\n"))
    assert out == "hello 42\n评价"


def test_it_is_really_micropython(micropython, tmp_path):
    out = micropython(_script(tmp_path, "impl.py", "import sys\nprint(sys.implementation.name)\n"))
    assert out.strip() == "micropython"


def test_a_raising_script_is_a_failure(tmp_path):
    script = _script(tmp_path, "boom.py", "print('before')\n\ndef f():\n    raise ValueError('boom 42')\n\nf()\n")
    result = run_micropython(script)
    assert result.returncode == 1
    assert result.stdout == "before\n"
    assert "ValueError: boom 42" in result.stderr
    assert 'File "%s", line 4' % script in result.stderr


def test_the_fixture_fails_the_test_on_a_raise(micropython, tmp_path):
    script = _script(tmp_path, "boom.py", "raise KeyError('gone')\n")
    with pytest.raises(pytest.fail.Exception) as info:
        micropython(script)
    assert "KeyError" in str(info.value)


def test_exit_codes(tmp_path):
    assert run_micropython(_script(tmp_path, "a.py", "import sys\nsys.exit(3)\n")).returncode == 3
    assert run_micropython(_script(tmp_path, "b.py", "import sys\nsys.exit(0)\n")).returncode == 0
    assert run_micropython(str(tmp_path / "missing.py")).returncode == 2


def test_mounted_directory_is_importable_and_argv_is_set(micropython, tmp_path):
    pkg = tmp_path / "host" / "mylib"
    pkg.mkdir(parents=True)
    (pkg / "__init__.py").write_text("VALUE = 'from mylib'\n")
    (pkg / "data.json").write_text('{"n": 5}')
    (pkg / "__pycache__").mkdir()
    (pkg / "__pycache__" / "junk.py").write_text("raise SystemError\n")
    script = _script(tmp_path, "use.py",
                     "import sys, os, json, mylib\n"
                     "print(mylib.VALUE)\n"
                     "print(json.load(open('/lib/mylib/data.json'))['n'])\n"
                     "print(sys.argv[1:])\n"
                     "print('__pycache__' in os.listdir('/lib/mylib'))\n")
    out = micropython(script, mounts=[(str(pkg), "/lib/mylib")], args=["x", "y z"])
    assert out.splitlines() == ["from mylib", "5", "['x', 'y z']", "False"]


def test_script_inside_a_mount_sees_its_siblings(micropython, tmp_path):
    (tmp_path / "helper.py").write_text("WORD = 'sibling'\n")
    script = _script(tmp_path, "main.py", "import helper\nprint(helper.WORD, __file__)\n")
    out = micropython(script, mounts=[(str(tmp_path), "/app")])
    assert out.strip() == "sibling /app/main.py"


def test_top_level_await_and_asyncio(micropython, tmp_path):
    script = _script(tmp_path, "aio.py",
                     "import asyncio\n"
                     "async def tick(n):\n    await asyncio.sleep_ms(5)\n    return n * 2\n"
                     "print(await asyncio.gather(tick(1), tick(2)))\n")
    assert micropython(script).strip() == "[2, 4]"


def test_protocol_package_imports(micropython, tmp_path):
    assert os.path.isfile(os.path.join(REPO_ROOT, "protocol", "__init__.py"))
    script = _script(tmp_path, "proto.py", "import protocol\nprint(protocol.__name__)\n")
    assert micropython(script, mounts=protocol_mounts()).strip() == "protocol"


def test_timeout_is_reported(tmp_path):
    script = _script(tmp_path, "slow.py", "import asyncio\nawait asyncio.sleep(60)\n")
    result = run_micropython(script, timeout=3)
    assert result.returncode == 124
    assert "timed out" in result.stderr
