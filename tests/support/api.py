"""Helpers for the API and CLI tests: a real data directory, config, tokens,
the app in-process (httpx.AsyncClient over ASGITransport) or under uvicorn."""

import os
import subprocess
import sys
import time

import httpx

from hub import config
from hub.api import HubContext, create_app
from hub.services.tokens import TokenStore
from simulator.mpy import REPO_ROOT


def make_config(tmp_path, text=""):
    """A config whose data directory is tmp_path/data; `text` adds TOML."""
    path = tmp_path / "hub.toml"
    path.write_text('[hub]\ndata_dir = "data"\n[hall]\ncode = "test-hall"\n' + text,
                    encoding="utf-8")
    cfg = config.load(str(path), env={})
    config.ensure_data_dir(cfg)
    return cfg


class Api:
    """The app in-process with one client token; `api.client` is an AsyncClient."""

    def __init__(self, cfg, ingest=None):
        self.cfg = cfg
        self.tokens = TokenStore(cfg.tokens_path)
        self.token = self.tokens.create("queue-system")
        self.ctx = HubContext(cfg, ingest=ingest)
        self.ctx.component("database").set("ok", "test")
        self.app = create_app(self.ctx)
        self.client = httpx.AsyncClient(transport=httpx.ASGITransport(app=self.app),
                                        base_url="http://hub",
                                        headers={"Authorization": "Bearer " + self.token})

    def db_call(self, fn, *args, **kwargs):
        return self.ctx.call(fn, *args, **kwargs)

    async def aclose(self):
        await self.client.aclose()
        self.ctx.close()


def pingjia(*args, cwd=None, env=None, timeout=60, input=None):
    """Run the `pingjia` CLI as a subprocess; -> CompletedProcess (text)."""
    full_env = dict(os.environ)
    full_env.pop("PINGJIA_CONFIG", None)
    full_env.pop("PINGJIA_DATA", None)
    full_env.update(env or {})
    return subprocess.run([sys.executable, "-m", "hub.cli"] + list(args), cwd=cwd or REPO_ROOT,
                          env=full_env, capture_output=True, text=True, timeout=timeout,
                          input=input)


def wait_http(url, timeout=20, proc=None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError("process exited %s: %s" % (proc.returncode, proc.stderr.read()))
        try:
            return httpx.get(url, timeout=1)
        except httpx.TransportError:
            time.sleep(0.1)
    raise TimeoutError("no answer from %s" % url)
