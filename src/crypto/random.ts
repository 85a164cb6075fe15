/**
 * Randomness and clock, behind a seam so tests can reproduce sops output byte
 * for byte (sops-format §10.1). Production code never sets them.
 */
import { randomBytes as nodeRandomBytes } from "node:crypto";

let source: (n: number) => Buffer = nodeRandomBytes;
let clock: () => Date = () => new Date();

export function randomBytes(n: number): Buffer {
  const b = source(n);
  if (b.length !== n) throw new Error(`random source returned ${b.length} bytes, wanted ${n}`);
  return b;
}

export function now(): Date {
  return clock();
}

/** Test-only: replace the random source and/or the clock; returns a restore function. */
export function setCryptoSeamsForTests(seams: {
  random?: (n: number) => Buffer;
  clock?: () => Date;
}): () => void {
  const prev = { source, clock };
  if (seams.random) source = seams.random;
  if (seams.clock) clock = seams.clock;
  return () => {
    source = prev.source;
    clock = prev.clock;
  };
}

/** Test-only: replace the random source (IVs, data keys); returns a restore function. */
export function setRandomSourceForTests(fn: (n: number) => Buffer): () => void {
  return setCryptoSeamsForTests({ random: fn });
}

/** Test-only: replace the clock (`lastmodified`); returns a restore function. */
export function setClockForTests(fn: () => Date): () => void {
  return setCryptoSeamsForTests({ clock: fn });
}
