"""A raw TCP server that accepts connections and never answers (acceptance 1 for ``load``).

Run: ``python silent_server.py`` prints its 127.0.0.1 port on stdout, then accepts forever,
reading and discarding whatever clients send. Stop it by PID.
"""

import socket
import sys
import threading


def _drain(conn: socket.socket) -> None:
    with conn:
        while conn.recv(65536):
            pass


def main() -> None:
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", 0))
    srv.listen(512)
    sys.stdout.write(f"{srv.getsockname()[1]}\n")
    sys.stdout.flush()
    while True:
        conn, _ = srv.accept()
        threading.Thread(target=_drain, args=(conn,), daemon=True).start()


if __name__ == "__main__":
    main()
