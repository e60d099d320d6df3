// Typed engine errors, mapped once to CLI exit codes and once to HTTP statuses.

/** Every error kind: its name is the stable code the API's error body carries (`kind`). */
export const ERROR_KINDS = [
  'no-such-container',
  'no-such-image',
  'no-such-object',
  'name-in-use',
  'invalid-argument',
  'state-improper',
  'already-running',
  'not-running',
  'ctr-exists',
  'image-in-use',
  'cmd-not-found',
  'cmd-cannot-invoke',
  'runtime',
  'port-in-use',
  'internal',
] as const;

export type ErrorKind = (typeof ERROR_KINDS)[number];

export const isErrorKind = (s: unknown): s is ErrorKind => typeof s === 'string' && (ERROR_KINDS as readonly string[]).includes(s);

export class EngineError extends Error {
  constructor(
    readonly kind: ErrorKind,
    message: string,
    readonly cause_?: string,
  ) {
    super(message);
  }
}

export const noSuchContainer = (id: string) =>
  new EngineError('no-such-container', `no container with name or ID "${id}" found: no such container`);
export const noSuchImage = (ref: string) => new EngineError('no-such-image', `${ref}: image not known`);
export const invalidArgument = (msg: string) => new EngineError('invalid-argument', `${msg}: invalid argument`);

/** Podman's exit codes: 125 engine failure, 126 cannot invoke, 127 not found. */
export function exitCodeFor(err: unknown): number {
  if (err instanceof EngineError) {
    switch (err.kind) {
      case 'cmd-not-found':
        return 127;
      case 'cmd-cannot-invoke':
      case 'port-in-use': // Podman's run fails to start with 126 when a host port is taken
        return 126;
      default:
        return 125;
    }
  }
  return 125;
}

/** Docker's statuses: 404 unknown, 409 conflict, 304 no-op, 400 bad input, 500 otherwise. */
export function httpStatusFor(err: unknown): number {
  if (!(err instanceof EngineError)) return 500;
  switch (err.kind) {
    case 'no-such-container':
    case 'no-such-image':
    case 'no-such-object':
      return 404;
    case 'name-in-use':
    case 'state-improper':
    case 'image-in-use':
    case 'ctr-exists':
      return 409;
    case 'already-running':
    case 'not-running':
      return 304;
    case 'invalid-argument':
      return 400;
    default:
      return 500;
  }
}
