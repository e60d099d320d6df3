// Container, pod and exec-session IDs as containers/storage's stringid
// makes them (the generator Podman uses).

import { randomBytes } from 'node:crypto';

/** Length of a short ID (the `podman ps` CONTAINER ID column). */
export const SHORT_ID_LENGTH = 12;

const FULL_ID = /^[0-9a-f]{64}$/;

/**
 * A new ID: 32 random bytes from the crypto RNG as 64 lowercase hex digits,
 * drawn again while its first 12 characters are all decimal digits (such an
 * ID would read as a number, so stringid.GenerateRandomID rejects it).
 */
export function generateId(random: (n: number) => Buffer = randomBytes): string {
  for (;;) {
    const id = random(32).toString('hex');
    if (!/^[0-9]{12}$/.test(id.slice(0, SHORT_ID_LENGTH))) return id;
  }
}

/** The first 12 characters of an ID (the whole string if shorter). */
export function shortId(id: string): string {
  return id.slice(0, SHORT_ID_LENGTH);
}

/** Whether `s` has the form of a full ID (64 lowercase hex digits). */
export function isFullId(s: string): boolean {
  return FULL_ID.test(s);
}
