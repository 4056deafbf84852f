#!/usr/bin/env python3
"""holeproxy.py - a TCP proxy that can make the connections it carries go silent.

    holeproxy.py LISTEN_PORT TARGET_PORT [PORTFILE]

Forwards 127.0.0.1:LISTEN_PORT (0 = any free port, written to PORTFILE) to
127.0.0.1:TARGET_PORT. On SIGUSR1 every connection open at that moment becomes a black
hole, as when a firewall or a switch loses the flow: nothing more is forwarded either way,
nothing is read any more (the sender's socket buffers fill and its writes block), and no
FIN or RST is sent. Connections accepted afterwards are forwarded normally: the path is
back, only the old flows are lost. Each SIGUSR1 prints the number of connections it
silenced on stdout.

The proxy's own socket towards the target gets a small receive buffer, so that a sender
behind it blocks after a few MiB rather than after the kernel's autotuned maximum.
"""
import signal
import socket
import sys
import threading

holes = []          # threading.Event per connection: set = silenced
lock = threading.Lock()


def pump(src, dst, hole):
    try:
        while not hole.is_set():
            data = src.recv(65536)
            if not data or hole.is_set():
                break
            dst.sendall(data)
    except OSError:
        pass
    if hole.is_set():
        hole.wait_forever.wait()        # keep both sockets open and unread, forever
        return
    for s in (src, dst):                # a real end: pass it on
        try:
            s.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


def serve(client, target_port):
    up = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    up.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 64 * 1024)
    try:
        up.connect(("127.0.0.1", target_port))
    except OSError:
        client.close()
        return
    for s in (client, up):
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    hole = threading.Event()
    hole.wait_forever = threading.Event()
    hole.socks = (client, up)           # referenced so they are never closed
    with lock:
        holes.append(hole)
    threading.Thread(target=pump, args=(client, up, hole), daemon=True).start()
    threading.Thread(target=pump, args=(up, client, hole), daemon=True).start()


def silence(_sig, _frame):
    with lock:
        n = 0
        for h in holes:
            if not h.is_set():
                h.set()
                n += 1
    print(f"silenced {n}", flush=True)


def main():
    listen_port, target_port = int(sys.argv[1]), int(sys.argv[2])
    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("127.0.0.1", listen_port))
    ls.listen(64)
    if len(sys.argv) > 3:
        with open(sys.argv[3] + ".tmp", "w") as f:
            f.write(f"{ls.getsockname()[1]}\n")
        import os
        os.rename(sys.argv[3] + ".tmp", sys.argv[3])
    signal.signal(signal.SIGUSR1, silence)
    while True:
        try:
            c, _ = ls.accept()
        except InterruptedError:
            continue
        serve(c, target_port)


if __name__ == "__main__":
    main()
