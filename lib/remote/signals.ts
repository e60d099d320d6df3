// --sig-proxy for a remote foreground container: the signals this client gets
// go to the service's kill endpoint (the container may be on another host).
import { constants } from 'node:os';
import type { Engine } from '../engine/engine';

const PROXIED: NodeJS.Signals[] = ['SIGTERM', 'SIGINT', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2', 'SIGCONT', 'SIGALRM'];

/** The same shape as the local proxy; the pid is not needed. */
export function remoteSignalProxy(engine: Engine, id: string, enabled: boolean): { setPid(pid: number): void; stop(): void } {
  const handler = (sig: NodeJS.Signals) => {
    // a container that is not running (yet, or any more) is no error here
    engine.kill(id, constants.signals[sig]).catch(() => undefined);
  };
  if (enabled) for (const s of PROXIED) process.on(s, handler);
  return {
    setPid() {},
    stop() {
      for (const s of PROXIED) process.off(s, handler);
    },
  };
}
