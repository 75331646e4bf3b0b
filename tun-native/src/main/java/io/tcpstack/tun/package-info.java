package io.tcpstack.tun;
