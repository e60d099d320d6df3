// --userns=auto's options and its choice of ids (lib/container/auto-userns.ts):
// first free ids across several ranges, around other containers' maps and the
// extra mappings, as containers/storage's getAutoUserNSIDMappings.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { allocateAutoUserns, formatAutoOptions, parseAutoOptions, type AutoUsernsRequest } from '../lib/container/auto-userns';
import type { ContainerRecord, IdMapping } from '../lib/storage/records';

const ctr = (uidMap: IdMapping[], gidMap: IdMapping[] = uidMap) => ({ config: { idMappings: { uidMap, gidMap } } }) as unknown as ContainerRecord;
const m = (containerID: number, hostID: number, size: number): IdMapping => ({ containerID, hostID, size });

test('options: size, repeated uidmapping/gidmapping; Podman errors for the rest', () => {
  const o = parseAutoOptions('size=500,uidmapping=0:5:1,uidmapping=10:20:2,gidmapping=0:7:1');
  assert.deepEqual(o, { size: 500, uidMapping: [m(0, 5, 1), m(10, 20, 2)], gidMapping: [m(0, 7, 1)] });
  assert.equal(formatAutoOptions(o), 'size=500,uidmapping=0:5:1,uidmapping=10:20:2,gidmapping=0:7:1');
  assert.throws(() => parseAutoOptions('bogus=1'), /unknown option specified: "bogus"/);
  assert.throws(() => parseAutoOptions('size'), /invalid option specified: "size"/);
  assert.throws(() => parseAutoOptions('size=-1'), /strconv.ParseUint: parsing "-1": invalid syntax/);
  assert.throws(() => parseAutoOptions('uidmapping=1:2'), /uidmapping/);
});

test('the first free ids, split across ranges and around used ones, one mapping per contiguous run', () => {
  const req: AutoUsernsRequest = {
    size: 1000,
    availableUids: [
      [100000, 100600],
      [200000, 265536],
    ],
    availableGids: [[100000, 165536]],
    options: {},
  };
  const got = allocateAutoUserns(req, [ctr([m(0, 100100, 100)], [m(0, 100000, 50)])]);
  assert.deepEqual(got.uidMap, [m(0, 100000, 100), m(100, 100200, 400), m(500, 200000, 500)]);
  assert.deepEqual(got.gidMap, [m(0, 100050, 1000)]);
});

test('extra mappings: their container ids are not allocated, their host ids are not given to others', () => {
  const req: AutoUsernsRequest = { size: 10, availableUids: [[1000, 2000]], availableGids: [[1000, 2000]], options: { uidMapping: [m(0, 1000, 1), m(5, 9, 2)] } };
  const got = allocateAutoUserns(req, []);
  assert.deepEqual(got.uidMap, [m(0, 1000, 1), m(1, 1001, 4), m(5, 9, 2), m(7, 1005, 3)]);
  assert.deepEqual(got.gidMap, [m(0, 1000, 10)]);
});

test('no room: the error of Podman', () => {
  const req: AutoUsernsRequest = { size: 100, availableUids: [[0, 150]], availableGids: [[0, 150]], options: {} };
  assert.throws(() => allocateAutoUserns(req, [ctr([m(0, 0, 100)])]), /creating container storage: could not find enough available IDs/);
  assert.deepEqual(allocateAutoUserns({ ...req, size: 50 }, [ctr([m(0, 0, 100)])]).uidMap, [m(0, 100, 50)]);
});
