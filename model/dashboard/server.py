"""Starting the dashboard's server: check the address and port first (one line, exit 2, instead of the
server's own error), then run Solara on the app `ptsim.dashboard`, its front end served from the installed
solara-assets package (no CDN, works offline)."""

from __future__ import annotations

import os
from pathlib import Path

from ..scenario import ScenarioError
from .experiment import EXPERIMENT_ENV, FOLDERS_ENV


def check_listen(host: str, port: int) -> tuple[int, bool]:
    """The port the server will listen on at `host` (a free one for port 0) and whether `host` is loopback
    only (127.0.0.0/8, ::1). Binds as the server will (every address `host` resolves to, SO_REUSEADDR),
    so an unresolvable name, an address not on this machine or a busy port is a one-line ScenarioError
    naming the option, instead of the server's own error later."""
    import errno
    import ipaddress
    import socket
    anywhere = "(127.0.0.1: this machine only; 0.0.0.0: all its addresses)"
    if not host.strip():
        raise ScenarioError(f"--host {host}: give an address of this machine {anywhere}")
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except (socket.gaierror, UnicodeError) as exc:
        raise ScenarioError(f"--host {host}: cannot be resolved ({getattr(exc, 'strerror', None) or exc}); "
                            f"give an address of this machine {anywhere}") from exc
    addresses = list(dict.fromkeys((family, address[0]) for family, *_, address in infos))
    loopback = all(ipaddress.ip_address(a.split("%")[0]).is_loopback for _, a in addresses)
    for _ in range(5):             # port 0: the first address's free port may be taken on another one
        chosen, sockets = port, []
        try:
            for family, address in addresses:
                try:
                    s = socket.socket(family, socket.SOCK_STREAM)
                except OSError:               # a family this machine lacks (no IPv6): skipped, as the server does
                    continue
                sockets.append(s)
                s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                if family == socket.AF_INET6:
                    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
                s.bind((address, chosen))
                s.listen()
                chosen = s.getsockname()[1]
            return chosen, loopback
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE and port == 0:
                continue
            if exc.errno == errno.EADDRINUSE:
                raise ScenarioError(f"--port {port}: already in use on {address} (choose another with --port, "
                                    "or --port 0 for any free port)") from exc
            if exc.errno == errno.EADDRNOTAVAIL:
                named = "" if host == address else f" (resolves to {address})"
                raise ScenarioError(f"--host {host}{named}: not an address of this machine {anywhere}") from exc
            if exc.errno == errno.EACCES:
                raise ScenarioError(f"--port {port}: not allowed to listen on it on {address} (ports below 1024 "
                                    "need administrator rights; choose another with --port)") from exc
            raise ScenarioError(f"--host {host} --port {port}: cannot listen there ({exc.strerror or exc})") \
                from exc
        finally:
            for s in sockets:
                s.close()
    raise ScenarioError(f"--host {host}: no port free on all of its addresses at once (give one with --port)")


def serve(host: str = "127.0.0.1", port: int = 8765, open_browser: bool = False,
          experiment: str | Path | None = None, folders: list[Path] | None = None) -> None:
    """Start the Solara server on host:port until interrupted; `experiment`: the folder the Experiment
    page opens with; `folders`: the only folders (and those under them) it may read, None for any."""
    from solara.__main__ import run
    if experiment is not None:
        os.environ[EXPERIMENT_ENV] = str(Path(experiment).expanduser().absolute())
    if folders:
        os.environ[FOLDERS_ENV] = os.pathsep.join(str(Path(f).expanduser().resolve()) for f in folders)
    else:
        os.environ.pop(FOLDERS_ENV, None)
    # the front end (JavaScript, CSS, fonts) comes from the installed solara-assets package through the
    # local server's /_solara/cdn path, never from the internet
    os.environ.setdefault("SOLARA_ASSETS_PROXY", "true")
    args = ["ptsim.dashboard", "--host", host, "--port", str(port), "--production", "--no-check-version",
            "--open" if open_browser else "--no-open", "--log-level", "warning"]
    run.main(args=args, prog_name="ptsim dashboard", standalone_mode=True)
