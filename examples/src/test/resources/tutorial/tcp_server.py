#!/usr/bin/env python3
"""The socket tutorials' first TCP server: accepts one client, receives one message, prints it,
replies, closes.

Usage:  tcp_server.py PORT REPLY
Output: "listening on PORT" once it accepts connections (tests wait for it), then
        "received from HOST: <text>".
"""

import socket
import sys


def main():
    port, reply = int(sys.argv[1]), sys.argv[2]
    tcp_server_socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    tcp_server_socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # restartable at once
    tcp_server_socket.bind(("", port))
    tcp_server_socket.listen(128)
    tcp_server_socket.settimeout(60)  # a client that never comes fails the test instead of hanging it
    print(f"listening on {port}", flush=True)
    client_socket, client_addr = tcp_server_socket.accept()
    client_socket.settimeout(60)
    recv_data = client_socket.recv(1024)
    print(f"received from {client_addr[0]}: {recv_data.decode('utf-8', errors='replace').rstrip()}", flush=True)
    client_socket.send(reply.encode("utf-8"))
    client_socket.close()
    tcp_server_socket.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
