// Restart policies without a daemon, as Podman does them: the monitor's exit
// command (`tspod container cleanup`) asks shouldRestart and starts the
// container again. An explicit stop or kill by the user is final.
import { invalidArgument } from '../errors';

export type RestartName = 'no' | 'on-failure' | 'always' | 'unless-stopped';

export interface RestartPolicy {
  name: RestartName;
  /** on-failure only; 0 means no limit */
  maxRetries: number;
}

const NAMES: RestartName[] = ['no', 'on-failure', 'always', 'unless-stopped'];

/** `no`, `on-failure[:N]`, `always`, `unless-stopped` ('' means no); Podman's messages for the rest. */
export function parseRestartPolicy(spec: string): RestartPolicy {
  if (!spec) return { name: 'no', maxRetries: 0 };
  const parts = spec.split(':');
  if (parts.length > 2) throw invalidArgument('invalid restart policy: may specify retries at most once');
  const name = parts[0].toLowerCase();
  if (!NAMES.includes(name as RestartName)) throw invalidArgument(`"${parts[0]}" is not a valid restart policy`);
  if (parts.length === 1) return { name: name as RestartName, maxRetries: 0 };
  if (name !== 'on-failure') throw invalidArgument('restart policy retries can only be specified with on-failure restart policy');
  if (!/^-?\d+$/.test(parts[1])) throw invalidArgument(`parsing restart policy retry count: strconv.Atoi: parsing "${parts[1]}": invalid syntax`);
  const n = Number(parts[1]);
  if (n < 0) throw invalidArgument('must specify restart policy retry count as a number greater than 0');
  return { name: 'on-failure', maxRetries: n };
}

/** The stored form (ContainerConfig.restartPolicy): '' for no. */
export function formatRestartPolicy(p: RestartPolicy): string {
  if (p.name === 'no') return '';
  return p.name === 'on-failure' && p.maxRetries > 0 ? `on-failure:${p.maxRetries}` : p.name;
}

/** Docker's HostConfig.RestartPolicy {Name, MaximumRetryCount} into the stored form. */
export function restartFromDocker(name: string | undefined, maxRetries: number | undefined): string {
  if (!name || name === 'no') return '';
  const p = parseRestartPolicy(name);
  if (p.name === 'on-failure' && maxRetries) return formatRestartPolicy({ name: 'on-failure', maxRetries });
  return formatRestartPolicy(p);
}

/** What inspect shows. Podman shows '' for none; Docker shows 'no'. */
export function restartForInspect(stored: string): { Name: string; MaximumRetryCount: number } {
  const p = parseRestartPolicy(stored);
  return { Name: p.name === 'no' ? '' : p.name, MaximumRetryCount: p.maxRetries };
}

export interface ExitFacts {
  exitCode: number;
  /** the exit came from `stop`/`kill`/`rm -f` */
  stoppedByUser: boolean;
  /** restarts done by the policy so far */
  restartCount: number;
  /** the container is being removed (`--rm`) */
  autoRemove?: boolean;
}

/** Whether the monitor's cleanup starts the container again. */
export function shouldRestart(policy: RestartPolicy, facts: ExitFacts): boolean {
  if (facts.stoppedByUser || facts.autoRemove) return false;
  switch (policy.name) {
    case 'always':
    case 'unless-stopped':
      return true;
    case 'on-failure':
      return facts.exitCode !== 0 && (policy.maxRetries === 0 || facts.restartCount < policy.maxRetries);
    default:
      return false;
  }
}
