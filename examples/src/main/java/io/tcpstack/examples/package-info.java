package io.tcpstack.examples;
