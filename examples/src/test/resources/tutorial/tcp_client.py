#!/usr/bin/env python3
"""The socket tutorials' TCP client, kept as they wrote it but without its bugs.

It connects, and for each MESSAGE: send() the text (UTF-8, no newline, as the tutorials do), then
recv(1024) and print the answer. With --until-close it then reads until the server closes, as a
client of the tutorials' "thank you !" server sees it do.

Usage:  tcp_client.py [--until-close] HOST PORT MESSAGE [MESSAGE ...]
Output: "received: <text>" per answer; "closed by the server" when recv() returns b"" (the
        tutorials: "recv returns empty when the other side closed").
"""

import argparse
import socket
import sys


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("host")
    parser.add_argument("port", type=int)
    parser.add_argument("messages", nargs="+")
    parser.add_argument("--until-close", action="store_true")
    args = parser.parse_args()

    tcp_client_socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    tcp_client_socket.settimeout(30)  # a hang fails instead of blocking the test
    tcp_client_socket.connect((args.host, args.port))
    for message in args.messages:
        tcp_client_socket.sendall(message.encode("utf-8"))
        recv_data = tcp_client_socket.recv(1024)
        if not recv_data:
            print("closed by the server", flush=True)
            return 1
        print("received:", recv_data.decode("utf-8", errors="replace"), flush=True)
    if args.until_close:
        while True:
            recv_data = tcp_client_socket.recv(1024)
            if not recv_data:
                print("closed by the server", flush=True)
                break
            print("received:", recv_data.decode("utf-8", errors="replace"), flush=True)
    tcp_client_socket.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
