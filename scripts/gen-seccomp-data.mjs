#!/usr/bin/env node
// Regenerates the seccomp data shipped in lib/oci/ from this machine's files:
//   - seccomp-default.json: containers-common's default profile
//     (/usr/share/containers/seccomp.json, Debian's golang-github-containers-common),
//     used when a machine has no such file;
//   - seccomp-syscalls.json: every syscall name a profile may use (the kernel
//     headers' tables for x86_64, i386, x32 and the generic one, plus the names
//     the default profile lists for other architectures), to reject typos.
// Usage: node scripts/gen-seccomp-data.mjs
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const out = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'lib', 'oci');
const profile = JSON.parse(fs.readFileSync('/usr/share/containers/seccomp.json', 'utf8'));
fs.writeFileSync(path.join(out, 'seccomp-default.json'), `${JSON.stringify(profile, null, 1)}\n`);

const names = new Set();
for (const s of profile.syscalls) for (const n of s.names ?? [s.name]) names.add(n);
const headers = [
  '/usr/include/x86_64-linux-gnu/asm/unistd_64.h',
  '/usr/include/x86_64-linux-gnu/asm/unistd_32.h',
  '/usr/include/x86_64-linux-gnu/asm/unistd_x32.h',
  '/usr/include/asm-generic/unistd.h',
];
for (const h of headers) {
  for (const m of fs.readFileSync(h, 'utf8').matchAll(/^#define __NR(?:3264)?_([a-z0-9_]+)\s/gm)) if (m[1] !== 'syscalls') names.add(m[1]);
}
fs.writeFileSync(path.join(out, 'seccomp-syscalls.json'), `${JSON.stringify([...names].sort())}\n`);
console.log(`seccomp data: ${profile.syscalls.length} rules, ${names.size} syscall names`);
