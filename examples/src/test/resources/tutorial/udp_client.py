#!/usr/bin/env python3
"""The socket tutorials' UDP client, next to their TCP one (tcp_client.py).

No connection first: for each MESSAGE it sendto()s the text (UTF-8) to HOST:PORT — "like writing a
letter", the tutorials say: an address on every datagram — then recvfrom(1024) and prints the
answer with the address it came from.

With --connect it connect()s the UDP socket first (nothing is sent: it only fixes the peer), then
uses send() and recv(). Linux then reports an ICMP Port Unreachable about an earlier datagram as
ConnectionRefusedError on the next call; an unconnected socket never hears of it.

Usage:  udp_client.py [--connect] HOST PORT MESSAGE [MESSAGE ...]
Output: "received from <addr>:<port>: <text>" per answer; "ConnectionRefusedError" and exit 3 when
        the port is closed (connected sockets only); "no answer" and exit 2 after a 5 s silence.
"""

import argparse
import socket
import sys


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("host")
    parser.add_argument("port", type=int)
    parser.add_argument("messages", nargs="+")
    parser.add_argument("--connect", action="store_true")
    args = parser.parse_args()

    udp_client_socket = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    udp_client_socket.settimeout(5)  # UDP loses datagrams silently: a silence must end the wait
    server = (args.host, args.port)
    if args.connect:
        udp_client_socket.connect(server)
    try:
        for message in args.messages:
            if args.connect:
                udp_client_socket.send(message.encode("utf-8"))
                recv_data, addr = udp_client_socket.recv(1024), server
            else:
                udp_client_socket.sendto(message.encode("utf-8"), server)
                recv_data, addr = udp_client_socket.recvfrom(1024)
            print(f"received from {addr[0]}:{addr[1]}:", recv_data.decode("utf-8", errors="replace"), flush=True)
    except ConnectionRefusedError:
        print("ConnectionRefusedError", flush=True)
        return 3
    except socket.timeout:
        print("no answer", flush=True)
        return 2
    finally:
        udp_client_socket.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
