// CIDR strings for LpmTrieMap keys: parsed to network-order bytes and printed back.
import { test } from "node:test";
import assert from "node:assert/strict";
import { formatAddress, parseCidr } from "../../runtime/maps/ip_prefix.ts";

test("IPv4 and IPv6 prefixes parse to network-order bytes; a bare address is full length", () => {
  assert.deepEqual(parseCidr("10.1.0.0/16"), { addr: Uint8Array.from([10, 1, 0, 0]), prefixlen: 16 });
  assert.deepEqual(parseCidr("192.168.7.9"), { addr: Uint8Array.from([192, 168, 7, 9]), prefixlen: 32 });
  assert.deepEqual(parseCidr("2001:db8::/32").addr.subarray(0, 4), Uint8Array.from([0x20, 0x01, 0x0d, 0xb8]));
  assert.equal(parseCidr("::1").prefixlen, 128);
  assert.equal(parseCidr("::1").addr[15], 1);
  for (const bad of ["10.0.0/8", "10.0.0.256/8", "10.0.0.0/33", "10.0.0.0/8/1", "1::2::3", "2001:db8:0:0:0:0:0:0:1", "10.0.0.0/x", "hello"]) {
    assert.throws(() => parseCidr(bad), /is not a CIDR prefix/, bad);
  }
});

test("addresses print as people write them", () => {
  assert.equal(formatAddress(Uint8Array.from([10, 0, 0, 1])), "10.0.0.1");
  assert.equal(formatAddress(parseCidr("2001:db8:0:0:1::1").addr), "2001:db8::1:0:0:1");
  assert.equal(formatAddress(parseCidr("::").addr), "::");
  assert.equal(formatAddress(parseCidr("fe80::1:2").addr), "fe80::1:2");
  assert.equal(formatAddress(parseCidr("1:2:3:4:5:6:7:8").addr), "1:2:3:4:5:6:7:8");
});
