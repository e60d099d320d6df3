// image prune, system prune and system reset with real containers and images
// in a private store: what goes, what stays, Podman's questions and output,
// and that reset never deletes through a mount left inside the store.
import { after, before, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { TspodEnv } from '../helpers/tspod-env';

const env = new TspodEnv('system-prune');
before(() => env.importTestImages());
after(() => env.cleanup());

const imageIds = () => env.ok(['images', '-a', '-q', '--no-trunc']).trim().split('\n').filter(Boolean).sort();

/** A dangling image: the commit of a stopped container, without a name. */
function danglingImage(): string {
  env.ok(['run', '--name', 'src', 'busybox', 'touch', '/marker']);
  const id = env.ok(['commit', '-q', 'src']).trim().replace(/^sha256:/, '');
  env.ok(['rm', 'src']);
  return id;
}

describe('image prune', () => {
  test('asks first; -f removes dangling images only and prints their IDs; -a removes unused ones', () => {
    const id = danglingImage();
    assert.equal(id.length, 64);
    const before = imageIds();
    assert.ok(before.some((i) => i.includes(id)));

    const no = env.run(['image', 'prune'], { input: 'n\n' });
    assert.equal(no.code, 0);
    assert.equal(no.stdout, 'WARNING! This command removes all dangling images.\nAre you sure you want to continue? [y/N] ');
    assert.deepEqual(imageIds(), before, 'answering no removes nothing');

    assert.equal(env.ok(['image', 'prune', '-f']), `${id}\n`);
    assert.equal(imageIds().length, before.length - 1);
    assert.equal(env.ok(['image', 'prune', '-f']), '', 'nothing left to prune');

    // -a: busybox is used by a container and stays; echo goes; --filter narrows
    env.ok(['create', '--name', 'user', 'busybox', 'true']);
    try {
      assert.equal(env.ok(['image', 'prune', '-a', '-f', '--filter', 'label=nosuch']), '');
      const echoId = env.ok(['image', 'inspect', '--format', '{{.Id}}', 'echo']).trim().replace(/^sha256:/, '');
      assert.equal(env.ok(['image', 'prune', '-a', '-f']), `${echoId}\n`);
      assert.equal(env.run(['image', 'exists', 'echo']).code, 1);
      assert.equal(env.run(['image', 'exists', 'busybox']).code, 0);
      assert.equal(env.run(['image', 'prune', '-f', '--filter', 'bogus=1']).code, 125);
    } finally {
      env.run(['rm', '-f', '-t', '0', 'user']);
      env.importTestImages();
    }
  });
});

describe('system prune', () => {
  test('removes stopped containers and dangling images, keeps running ones, prints sections', () => {
    env.ok(['run', '--name', 'stopped', 'busybox', 'true']);
    env.ok(['run', '-d', '--name', 'running', 'busybox', 'sleep', '100']);
    try {
      const stoppedId = env.ok(['inspect', '--format', '{{.Id}}', 'stopped']).trim();
      const dangling = danglingImage();
      const q = env.run(['system', 'prune', '--volumes'], { input: '\n' });
      assert.match(q.stdout, /^WARNING! This command removes:\n\t- all stopped containers\n\t- all networks not used by at least one container\n\t- all volumes not used by at least one container\n\t- all dangling images\n/);
      assert.equal(env.run(['container', 'exists', 'stopped']).code, 0, 'no answer removes nothing');

      const out = env.ok(['system', 'prune', '-f']);
      assert.match(out, new RegExp(`^Deleted Containers\n${stoppedId}\n`));
      assert.match(out, new RegExp(`Deleted Images\n${dangling}\n`));
      assert.match(out, /\nTotal reclaimed space: \S+B\n$/);
      assert.equal(env.run(['container', 'exists', 'stopped']).code, 1);
      assert.equal(env.run(['container', 'exists', 'running']).code, 0);
      assert.equal(env.run(['image', 'exists', 'busybox']).code, 0);
      assert.equal(env.ok(['system', 'prune', '-f']), 'Total reclaimed space: 0B\n');
    } finally {
      env.run(['rm', '-f', '-t', '0', 'running', 'stopped']);
    }
  });
});

describe('system reset', () => {
  test('removes containers, images, volumes and the store directories, never through a mount', () => {
    const other = new TspodEnv('system-reset');
    const outside = fs.mkdtempSync(path.join(env.dir, 'outside-'));
    const target = path.join(other.root, 'bound');
    try {
      other.importTestImages();
      other.ok(['run', '-d', '--name', 'live', '-v', 'vol1:/data', 'busybox', 'sleep', '100']);
      fs.writeFileSync(path.join(outside, 'keep'), 'precious');
      fs.mkdirSync(target);
      assert.equal(spawnSync('mount', ['--bind', outside, target]).status, 0);

      const no = other.run(['system', 'reset'], { input: 'n\n' });
      assert.equal(no.code, 0);
      assert.match(no.stdout, new RegExp(`- the graphRoot directory: "${other.root}"\n`));
      assert.equal(other.run(['container', 'exists', 'live']).code, 0);

      other.ok(['system', 'reset', '-f']);
      assert.equal(fs.existsSync(other.root), false, 'root removed');
      assert.equal(fs.existsSync(other.runroot), false, 'runroot removed');
      assert.equal(fs.readFileSync(path.join(outside, 'keep'), 'utf8'), 'precious', 'nothing deleted through the mount');
      assert.equal(other.ok(['ps', '-a', '-q']), '');
      assert.equal(other.ok(['images', '-q']), '');
      assert.equal(other.ok(['volume', 'ls', '-q']), '');
    } finally {
      spawnSync('umount', ['-l', target]);
      other.cleanup();
      fs.rmSync(outside, { recursive: true, force: true });
    }
  });
});
