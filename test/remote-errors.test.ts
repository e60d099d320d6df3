// The error registry across the wire: every engine error kind a service
// answers with (through the API's one error writer, over a real HTTP server on
// a unix socket) comes back to the remote client as the same kind, message and
// exit code — by the body's `kind` code, not by reading the message.
import { after, before, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { ERROR_KINDS, EngineError, exitCodeFor, httpStatusFor, type ErrorKind } from '../lib/errors';
import { ApiError, apiErrorFrom, sendError } from '../api/http';
import { ServiceConnection, errorFromBody } from '../lib/remote/connection';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tspod-errors-'));
const sock = path.join(dir, 'api.sock');
let server: http.Server;
let conn: ServiceConnection;

/** /v4.0.0/libpod/engine/KIND answers the engine error; /api/KIND the same kind re-worded as an ApiError. */
function handler(req: http.IncomingMessage, res: http.ServerResponse): void {
  const [, , , how, kind] = (req.url ?? '').split('/');
  const e = new EngineError(kind as ErrorKind, `message of ${kind}: with "quotes" and: colons`);
  sendError(res, how === 'api' ? apiErrorFrom(e, 500, 'some other cause') : e);
}

before(async () => {
  server = http.createServer(handler);
  await new Promise<void>((r) => server.listen(sock, r));
  conn = new ServiceConnection(`unix://${sock}`, { kind: 'unix', path: sock });
});

after(async () => {
  conn.close();
  await new Promise((r) => server.close(r));
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('error kinds round-trip through the API', () => {
  for (const kind of ERROR_KINDS) {
    test(kind, async () => {
      const sent = new EngineError(kind, `message of ${kind}: with "quotes" and: colons`);
      if (httpStatusFor(sent) === 304) {
        // "already so": HTTP's 304 has no body; the remote engine reads it per endpoint (start, stop)
        const r = await conn.request('POST', `/engine/${kind}`);
        assert.equal(r.status, 304);
        assert.equal(r.body.length, 0);
        return;
      }
      for (const how of ['engine', 'api']) {
        const got = await conn.request('POST', `/${how}/${kind}`).then(
          () => assert.fail('no error'),
          (e: unknown) => e,
        );
        assert.ok(got instanceof EngineError, `${how}: an EngineError`);
        assert.equal(got.kind, kind, `${how}: kind`);
        assert.equal(got.message, sent.message, `${how}: message`);
        assert.equal(exitCodeFor(got), exitCodeFor(sent), `${how}: exit code`);
      }
    });
  }

  test('a body without kind (a Podman service) is read by cause and status', () => {
    assert.equal(errorFromBody(404, JSON.stringify({ cause: 'no such container', message: 'x', response: 404 })).kind, 'no-such-container');
    assert.equal(errorFromBody(404, JSON.stringify({ cause: 'whatever', message: 'x', response: 404 })).kind, 'no-such-object');
    assert.equal(errorFromBody(500, 'not json').message, 'not json');
    // an unknown kind is not trusted
    assert.equal(errorFromBody(400, JSON.stringify({ kind: 'rm -rf', message: 'x' })).kind, 'invalid-argument');
  });

  test('an ApiError without a kind stands for what its status says', async () => {
    const s = http.createServer((_req, res) => sendError(res, new ApiError(409, 'busy', 'conflict')));
    const p = path.join(dir, 'api2.sock');
    await new Promise<void>((r) => s.listen(p, r));
    const c = new ServiceConnection(`unix://${p}`, { kind: 'unix', path: p });
    try {
      const e = await c.request('GET', '/x').then(
        () => undefined,
        (x: unknown) => x,
      );
      assert.ok(e instanceof EngineError);
      assert.equal(e.kind, 'state-improper');
    } finally {
      c.close();
      await new Promise((r) => s.close(r));
    }
  });
});
