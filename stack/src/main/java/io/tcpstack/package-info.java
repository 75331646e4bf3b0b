package io.tcpstack;
