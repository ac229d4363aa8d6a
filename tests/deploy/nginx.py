"""deploy/nginx.conf run by Debian's nginx on loopback, in front of test `voxhub serve` processes.

The file is written for docker-compose (upstream `api:8080`, port 80, logs to the console).
`render` swaps exactly those host-specific lines and nothing else, failing if any of them is
missing, so what the tests run is the shipped configuration.
"""

from __future__ import annotations

import re
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

from tests.fixtures.ports import free_port, port_open, wait_until

ROOT = Path(__file__).resolve().parents[2]
NGINX_CONF = ROOT / "deploy" / "nginx.conf"
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"

_UPSTREAM_SERVER = re.compile(r"^(\s*)server api:8080( [^;]*)?;$", re.MULTILINE)


def _replace_once(text: str, old: str, new: str) -> str:
    if text.count(old) != 1:
        raise AssertionError(f"deploy/nginx.conf must contain {old!r} exactly once")
    return text.replace(old, new)


def render(source: str, upstream_ports: list[int], listen_port: int, prefix: Path) -> str:
    """The shipped config with loopback upstreams, a loopback listener and files under prefix."""
    matches = _UPSTREAM_SERVER.findall(source)
    if len(matches) != 1:
        raise AssertionError("deploy/nginx.conf must have one `server api:8080 ...;` upstream")
    indent, options = matches[0]
    servers = "\n".join(f"{indent}server 127.0.0.1:{port}{options};" for port in upstream_ports)
    text = _UPSTREAM_SERVER.sub(lambda _: servers, source)
    text = _replace_once(
        text, "listen 80 default_server;", f"listen 127.0.0.1:{listen_port} default_server;"
    )
    text = _replace_once(text, "pid /tmp/nginx.pid;", f"pid {prefix}/nginx.pid;")
    text = _replace_once(text, "error_log /dev/stderr", f"error_log {prefix}/error.log")
    text = _replace_once(text, "access_log /dev/stdout", f"access_log {prefix}/access.log")
    temp_paths = "".join(
        f"\n    {kind}_temp_path {prefix}/temp/{kind};"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    return _replace_once(text, "http {", "http {" + temp_paths)


class NginxServer:
    def __init__(self, upstream_ports: list[int]) -> None:
        self.port = free_port()
        # nginx workers run as `nobody` when the tests run as root: the folder must be theirs too.
        self.prefix = Path(tempfile.mkdtemp(prefix="voxhub-nginx-"))
        (self.prefix / "temp").mkdir()
        for folder in (self.prefix, self.prefix / "temp"):
            folder.chmod(0o777)
        self.conf = self.prefix / "nginx.conf"
        self.conf.write_text(render(NGINX_CONF.read_text(), upstream_ports, self.port, self.prefix))
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/ws"

    def _command(self, *extra: str) -> list[str]:
        return [NGINX, "-p", str(self.prefix), "-c", str(self.conf), *extra]

    def check(self) -> subprocess.CompletedProcess[str]:
        """`nginx -t` on the rendered configuration."""
        return subprocess.run(self._command("-t"), capture_output=True, text=True, timeout=30)

    def start(self) -> None:
        self.process = subprocess.Popen(
            self._command("-g", "daemon off;"),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            wait_until(lambda: port_open(self.port), 10, "nginx")
        except TimeoutError:
            self.stop()
            raise TimeoutError(f"nginx did not start:\n{self.error_log()}") from None

    def access_log(self) -> str:
        path = self.prefix / "access.log"
        return path.read_text() if path.exists() else ""

    def error_log(self) -> str:
        path = self.prefix / "error.log"
        return path.read_text() if path.exists() else ""

    def upstreams_of(self, path: str) -> list[str]:
        """Upstream address of each logged request for `path` (written when it completes)."""
        pattern = re.compile(rf'"GET {re.escape(path)}(?:\?\S*)? HTTP/1\.1" .* upstream=(\S+)')
        return pattern.findall(self.access_log())

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGQUIT)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        shutil.rmtree(self.prefix, ignore_errors=True)
