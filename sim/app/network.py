"""Where participants find the app: this machine's address on the local network, and a QR code of it.

The QR code is made here (segno, pure Python) as inline SVG: nothing is fetched, nothing is sent.
"""

from __future__ import annotations

import ipaddress
import socket

import segno

LOOPBACK = ("127.0.0.1", "localhost", "::1")


def is_loopback(host: str) -> bool:
    name = host.strip("[]").split("%")[0]
    if name in LOOPBACK:
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def lan_address() -> str | None:
    """This machine's address on its local network, or None when it has none.

    Connecting a UDP socket sends no packet: it only asks the kernel which interface would carry
    traffic to a private address, and that interface's address is the one others can reach.
    """
    for probe in ("10.255.255.255", "192.168.255.255", "172.31.255.255"):
        try:
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
                s.connect((probe, 9))
                address = s.getsockname()[0]
        except OSError:
            continue
        if not is_loopback(address) and address != "0.0.0.0":
            return address
    return None


def public_url(host: str, port: int) -> str | None:
    """The address participants type (None when the app listens on this machine only)."""
    if is_loopback(host):
        return None
    # with no local network (a laptop offline) the machine's name is the best address there is
    shown = (lan_address() or socket.gethostname()) if host in ("0.0.0.0", "::", "") else host
    return f"http://{f'[{shown}]' if ':' in shown else shown}:{port}/"


def qr_svg(text: str) -> str:
    """A QR code of `text` as an SVG element that scales with its box."""
    return segno.make(text, error="m").svg_inline(scale=1, border=2, omitsize=True, dark="#000", light="#fff")
