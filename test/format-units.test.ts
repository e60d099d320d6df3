// docker/go-units, Go's float formatting, Go's time printing and the
// strings podman ps / podman images print.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  goDurationString,
  formatGoFloat,
  humanSizeWithPrecision,
  goUnitsHumanSize,
  humanSize,
  podmanSize,
  bytesSize,
  podmanContainerSize,
  humanDuration,
  timeAgo,
  imageCreatedAgo,
  psStatus,
  GoTime,
  goTimeString,
  goTimeRFC3339Nano,
  formatGoTimeLayout,
} from '../lib/format/units';

const KB = 1000;
const MB = 1000 * KB;
const GB = 1000 * MB;
const TB = 1000 * GB;
const PB = 1000 * TB;
const KiB = 1024;
const MiB = 1024 * KiB;
const GiB = 1024 * MiB;
const TiB = 1024 * GiB;
const PiB = 1024 * TiB;

test('strconv float formatting: %g %e %f with exact half-to-even rounding', () => {
  assert.equal(formatGoFloat(1234.5678, 'e', 6), '1.234568e+03');
  assert.equal(formatGoFloat(0.00001234, 'g', -1), '1.234e-05');
  assert.equal(formatGoFloat(100000, 'g', -1), '100000');
  assert.equal(formatGoFloat(1e6, 'g', -1), '1e+06');
  assert.equal(formatGoFloat(123456789, 'g', -1), '1.23456789e+08');
  assert.equal(formatGoFloat(0.0001, 'g', -1), '0.0001');
  assert.equal(formatGoFloat(0, 'g', -1), '0');
  assert.equal(formatGoFloat(0, 'e', 2), '0.00e+00');
  assert.equal(formatGoFloat(-1.5, 'g', -1), '-1.5');
  assert.equal(formatGoFloat(1.125, 'g', 3), '1.12'); // exactly half: to even
  assert.equal(formatGoFloat(1.375, 'g', 3), '1.38');
  assert.equal(formatGoFloat(2.5, 'f', 0), '2');
  assert.equal(formatGoFloat(3.5, 'f', 0), '4');
  assert.equal(formatGoFloat(0.1, 'f', 20), '0.10000000000000000555');
  assert.equal(formatGoFloat(999.9, 'g', 3), '1e+03');
  assert.equal(formatGoFloat(100, 'g', 3), '100');
  assert.equal(formatGoFloat(1e21, 'g', -1), '1e+21');
  assert.equal(formatGoFloat(5e-324, 'g', -1), '5e-324');
  assert.equal(formatGoFloat(Infinity, 'g', -1), '+Inf');
  assert.equal(formatGoFloat(NaN, 'f', 2), 'NaN');
});

test('go-units HumanSize (size_test.go)', () => {
  assert.equal(goUnitsHumanSize(1000), '1kB');
  assert.equal(goUnitsHumanSize(1024), '1.024kB');
  assert.equal(goUnitsHumanSize(1000000), '1MB');
  assert.equal(goUnitsHumanSize(1048576), '1.049MB');
  assert.equal(goUnitsHumanSize(2 * MB), '2MB');
  assert.equal(goUnitsHumanSize(3.42 * GB), '3.42GB');
  assert.equal(goUnitsHumanSize(5.372 * TB), '5.372TB');
  assert.equal(goUnitsHumanSize(2.22 * PB), '2.22PB');
  assert.equal(goUnitsHumanSize(10000000000000 * PB), '1e+04YB');
});

test('go-units BytesSize (size_test.go)', () => {
  assert.equal(bytesSize(1024), '1KiB');
  assert.equal(bytesSize(1024 * 1024), '1MiB');
  assert.equal(bytesSize(2 * MiB), '2MiB');
  assert.equal(bytesSize(3.42 * GiB), '3.42GiB');
  assert.equal(bytesSize(5.372 * TiB), '5.372TiB');
  assert.equal(bytesSize(2.22 * PiB), '2.22PiB');
  assert.equal(bytesSize(KiB * KiB * KiB * KiB * KiB * PiB), '1.049e+06YiB');
});

test('HumanSizeWithPrecision(size, 3) and the podman images SIZE column', () => {
  assert.equal(humanSizeWithPrecision(5123456, 3), '5.12MB');
  assert.equal(humanSize(5123456), '5.12 MB');
  assert.equal(humanSize(1300), '1.3 kB');
  assert.equal(humanSize(827300), '827 kB');
  assert.equal(humanSize(1024), '1.02 kB');
  assert.equal(humanSize(0), '0 B');
  assert.equal(humanSize(999), '999 B');
  assert.equal(humanSize(7340032), '7.34 MB');
  assert.equal(humanSize(999900), '1e+03 kB'); // go-units' %.3g, kept as Podman prints it
  assert.equal(humanSize(1125), '1.12 kB');
  assert.equal(podmanSize, humanSize);
  assert.equal(podmanContainerSize(0, 7340032), '0B (virtual 7.34MB)');
});

test('go-units HumanDuration (duration_test.go)', () => {
  const s = 1000;
  const m = 60 * s;
  const h = 60 * m;
  const day = 24 * h;
  const week = 7 * day;
  const month = 30 * day;
  const year = 365 * day;
  const cases: [number, string][] = [
    [450, 'Less than a second'],
    [-5 * s, 'Less than a second'],
    [1 * s, '1 second'],
    [45 * s, '45 seconds'],
    [59 * s, '59 seconds'],
    [60 * s, 'About a minute'],
    [3 * m, '3 minutes'],
    [35 * m + 40 * s, '35 minutes'],
    [59 * m, '59 minutes'],
    [1 * h, 'About an hour'],
    [1 * h + 29 * m, 'About an hour'],
    [1 * h + 31 * m, '2 hours'],
    [3 * h + 29 * m, '3 hours'],
    [3 * h + 31 * m, '4 hours'],
    [24 * h, '24 hours'],
    [1 * day + 12 * h, '36 hours'],
    [2 * day, '2 days'],
    [7 * day, '7 days'],
    [13 * day + 5 * h, '13 days'],
    [2 * week, '2 weeks'],
    [2 * week + 4 * day, '2 weeks'],
    [4 * week + 3 * day, '4 weeks'],
    [1 * month, '4 weeks'],
    [1 * month + 2 * week, '6 weeks'],
    [2 * month, '2 months'],
    [3 * month + 1 * week, '3 months'],
    [5 * month + 2 * week, '5 months'],
    [13 * month, '13 months'],
    [24 * month, '24 months'],
    [24 * month + 2 * week, '2 years'],
    [3 * year + 2 * month, '3 years'],
  ];
  for (const [ms, want] of cases) assert.equal(humanDuration(ms), want, `${ms} ms`);
});

test('CREATED columns: podman ps (full precision) and podman images (whole seconds)', () => {
  const now = Date.UTC(2024, 0, 1, 12, 0, 0, 500);
  assert.equal(timeAgo(now - 5000, now), '5 seconds ago');
  assert.equal(timeAgo(new Date(now - 2 * 3600 * 1000), now), '2 hours ago');
  assert.equal(timeAgo(now - 900, now), 'Less than a second ago');
  // the image was created 0.9 s ago, but its time is kept in whole seconds: 1.4 s
  assert.equal(imageCreatedAgo(now - 900, now), '1 second ago');
  assert.equal(imageCreatedAgo(now - 3 * 24 * 3600 * 1000, now), '3 days ago');
});

test('podman ps STATUS as Podman 4.3 prints it', () => {
  const now = Date.UTC(2024, 0, 1, 12, 0, 0, 0);
  assert.equal(psStatus({ state: 'running', startedAt: now - 5000 }, now), 'Up 5 seconds ago');
  assert.equal(psStatus({ state: 'running', startedAt: now - 5000 }, now, { upAgo: false }), 'Up 5 seconds');
  assert.equal(psStatus({ state: 'running', startedAt: new Date(now - 3 * 60 * 1000), health: 'healthy' }, now), 'Up 3 minutes ago (healthy)');
  assert.equal(psStatus({ state: 'exited', exitCode: 0, exitedAt: now - 3000 }, now), 'Exited (0) 3 seconds ago');
  assert.equal(psStatus({ state: 'stopped', exitCode: 137, exitedAt: now - 2 * 3600 * 1000 }, now), 'Exited (137) 2 hours ago');
  assert.equal(psStatus({ state: 'configured' }, now), 'Created');
  assert.equal(psStatus({ state: 'created' }, now), 'Created');
  assert.equal(psStatus({ state: 'paused' }, now), 'Paused'); // Podman's 080-pause: "$cid $cname Paused"
  // positional form; start times count in whole seconds (ListContainer.StartedAt)
  assert.equal(psStatus('running', 0, now - 1500, 0, now), 'Up 2 seconds ago');
  assert.equal(psStatus('exited', 2, 0, now - 60000, now), 'Exited (2) About a minute ago');
});

test("Go's time.Time String() and Format()", () => {
  const t = GoTime.from('2023-01-02T15:04:05.123456789Z');
  assert.equal(goTimeString(t), '2023-01-02 15:04:05.123456789 +0000 UTC');
  assert.equal(goTimeString(GoTime.from('2023-01-02T15:04:05Z')), '2023-01-02 15:04:05 +0000 UTC');
  assert.equal(goTimeString(new Date(Date.UTC(2023, 0, 2, 15, 4, 5, 120)), true), '2023-01-02 15:04:05.12 +0000 UTC');
  assert.equal(goTimeRFC3339Nano(t), '2023-01-02T15:04:05.123456789Z');
  assert.equal(goTimeRFC3339Nano(GoTime.from('2023-01-02T15:04:05.100Z')), '2023-01-02T15:04:05.1Z');
  assert.equal(formatGoTimeLayout(t, 'Mon, 02 Jan 2006 15:04:05 MST'), 'Mon, 02 Jan 2023 15:04:05 UTC');
  assert.equal(formatGoTimeLayout(t, 'Monday January 2 3:04PM .000 ,999999 002 _2'), 'Monday January 2 3:04PM .123 ,123456 002  2');
  assert.equal(formatGoTimeLayout(t, '2006-01-02T15:04:05-07:00 Z0700'), '2023-01-02T15:04:05+00:00 Z');
  assert.equal(t.Unix(), 1672671845);
  assert.equal(t.UnixNano(), 1672671845123456789n);
  assert.equal(t.Nanosecond(), 123456789);
});

test("goDurationString: Go's time.Duration.String", () => {
  // values as Go prints them (fmt.Println(time.Duration(n)))
  assert.equal(goDurationString(0), '0s');
  assert.equal(goDurationString(999), '999ns');
  assert.equal(goDurationString(1500), '1.5µs');
  assert.equal(goDurationString(469547901), '469.547901ms');
  assert.equal(goDurationString(1e9), '1s');
  assert.equal(goDurationString(61.5e9), '1m1.5s');
  assert.equal(goDurationString(3600e9), '1h0m0s');
  assert.equal(goDurationString(3723000000001), '1h2m3.000000001s');
  assert.equal(goDurationString(-2e6), '-2ms');
});
