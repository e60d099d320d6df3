// Waiting in a synchronous path (lock polls, a process's start or exit): the
// thread sleeps in the kernel, without spinning (Atomics.wait on a value nobody
// changes only times out). The buffer is made at first use, not at load: the
// CLI's start-up snapshot holds no shared memory.
let cell: Int32Array | undefined;

export function sleepSync(ms: number): void {
  Atomics.wait((cell ??= new Int32Array(new SharedArrayBuffer(4))), 0, 0, ms);
}
