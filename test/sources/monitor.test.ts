import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { NewEvent } from '../../src/events/model.js';
import { monitorOptionsFromEnv, ResourceAlarms, ResourceMonitor, SystemSampler, ThresholdAlarm, type MonitorOptions, type ResourceSample } from '../../src/sources/monitor.js';

describe('ThresholdAlarm: one event per crossing', () => {
  const cases: Array<[string, number[], boolean[]]> = [
    ['below the threshold: nothing', [10, 50, 89.9], [false, false, false]],
    ['crossing up fires once, staying up fires no more', [80, 90, 95, 99], [false, true, false, false]],
    ['dipping just below (within the margin) does not re-arm', [95, 88, 91, 86, 92], [true, false, false, false, false]],
    ['going below threshold - margin re-arms; the next crossing fires', [95, 84.9, 90], [true, false, true]],
    ['exactly threshold - margin does not re-arm', [95, 85, 95], [true, false, false]],
    ['flapping across the margin fires per crossing', [91, 80, 91, 80, 91], [true, false, true, false, true]],
    ['the first sample already high fires', [100], [true]],
  ];
  for (const [name, values, fired] of cases) {
    it(name, () => {
      const alarm = new ThresholdAlarm({ threshold: 90, margin: 5 });
      assert.deepEqual(
        values.map((value) => alarm.update(value)),
        fired,
      );
    });
  }
});

const OPTIONS: Pick<MonitorOptions, 'cpu' | 'memory' | 'disk' | 'load'> = {
  cpu: { threshold: 90, margin: 5 },
  memory: { threshold: 80, margin: 5 },
  disk: { threshold: 95, margin: 2 },
  load: { threshold: 2, margin: 0.25 },
};

const sample = (overrides: Partial<ResourceSample>): ResourceSample => ({ cpu: 10, memory: 10, load: 0.1, disks: [{ path: '/', percent: 10 }], ...overrides });

describe('ResourceAlarms', () => {
  it('maps each resource to its event type, each with its own state', () => {
    const alarms = new ResourceAlarms(OPTIONS);
    const steps: Array<[ResourceSample, Array<[string, number, string?]>]> = [
      [sample({ cpu: null }), []],
      [sample({ cpu: 97.123 }), [['system.cpu_high', 97.12]]],
      [sample({ cpu: 97, memory: 81 }), [['system.memory_low', 81]]],
      [sample({ cpu: 50, memory: 81, load: 2.5 }), [['system.resource_high', 2.5]]],
      [
        sample({ cpu: 95, disks: [{ path: '/', percent: 96 }, { path: '/data', percent: 99 }] }),
        [
          ['system.cpu_high', 95],
          ['system.disk_full', 96, '/'],
          ['system.disk_full', 99, '/data'],
        ],
      ],
      [sample({ cpu: 95, disks: [{ path: '/', percent: 93.5 }, { path: '/data', percent: 99 }] }), []],
      [sample({ disks: [{ path: '/', percent: 96 }] }), []],
      [sample({ disks: [{ path: '/', percent: 92 }] }), []],
      [sample({ disks: [{ path: '/', percent: 96 }] }), [['system.disk_full', 96, '/']]],
    ];
    for (const [input, expected] of steps) {
      assert.deepEqual(
        alarms.evaluate(input).map((crossing) => [crossing.type, crossing.current, ...(crossing.path ? [crossing.path] : [])]),
        expected,
        JSON.stringify(input),
      );
    }
  });
});

describe('ResourceMonitor', () => {
  it('publishes a crossing as the catalogue describes it, once', async () => {
    const published: NewEvent[] = [];
    const samples = [sample({ memory: 85 }), sample({ memory: 86 }), sample({ memory: 50 }), sample({ memory: 90 })];
    const options: MonitorOptions = { ...OPTIONS, enabled: true, intervalMs: 10_000, diskPaths: ['/'] };
    const monitor = new ResourceMonitor(options, { publish: async (event) => void published.push(event), sample: async () => samples.shift() as ResourceSample });
    for (let i = 0; i < 4; i++) await monitor.check();
    assert.equal(published.length, 2);
    assert.equal(published[0].type, 'system.memory_low');
    assert.equal(published[0].source, 'monitor');
    assert.deepEqual((published[0].data as { resource: unknown }).resource, { name: 'memory', current: 85, threshold: 80, unit: 'percent' });
    assert.equal(typeof published[0].data?.host, 'string');
    await monitor.stop();
  });

  it('samples this machine: percentages within 0-100, the disk of a path', async () => {
    const sampler = new SystemSampler([process.cwd(), '/no/such/path']);
    await new Promise((resolve) => setTimeout(resolve, 50));
    const taken = await sampler.sample();
    assert.ok(taken.cpu === null || (taken.cpu >= 0 && taken.cpu <= 100), `cpu ${taken.cpu}`);
    assert.ok(taken.memory > 0 && taken.memory < 100, `memory ${taken.memory}`);
    assert.ok(taken.load >= 0);
    assert.equal(taken.disks.length, 1, 'a missing path is skipped');
    assert.ok(taken.disks[0].percent >= 0 && taken.disks[0].percent <= 100);
  });
});

describe('monitorOptionsFromEnv', () => {
  it('defaults: on, every 10 s, 90 % thresholds, the home disk', () => {
    assert.deepEqual(monitorOptionsFromEnv({}, '/home/hf'), {
      enabled: true,
      intervalMs: 10_000,
      cpu: { threshold: 90, margin: 5 },
      memory: { threshold: 90, margin: 5 },
      disk: { threshold: 90, margin: 5 },
      load: { threshold: 2, margin: 0.25 },
      diskPaths: ['/home/hf'],
    });
  });
  it('reads every setting', () => {
    const options = monitorOptionsFromEnv(
      {
        HOOKFLOW_MONITOR: '0',
        HOOKFLOW_MONITOR_INTERVAL: '30s',
        HOOKFLOW_MONITOR_CPU: '75',
        HOOKFLOW_MONITOR_MEMORY: '60',
        HOOKFLOW_MONITOR_DISK: '99.5',
        HOOKFLOW_MONITOR_MARGIN: '3',
        HOOKFLOW_MONITOR_LOAD: '4',
        HOOKFLOW_MONITOR_LOAD_MARGIN: '1',
        HOOKFLOW_MONITOR_DISK_PATHS: '/:/data',
      },
      '/home/hf',
    );
    assert.deepEqual(options, {
      enabled: false,
      intervalMs: 30_000,
      cpu: { threshold: 75, margin: 3 },
      memory: { threshold: 60, margin: 3 },
      disk: { threshold: 99.5, margin: 3 },
      load: { threshold: 4, margin: 1 },
      diskPaths: ['/', '/data'],
    });
  });
  const bad: Array<[string, string, RegExp]> = [
    ['HOOKFLOW_MONITOR_CPU', '150', /HOOKFLOW_MONITOR_CPU="150" is not a number from 0 to 100/],
    ['HOOKFLOW_MONITOR_MEMORY', 'lots', /HOOKFLOW_MONITOR_MEMORY="lots"/],
    ['HOOKFLOW_MONITOR_INTERVAL', 'often', /not a duration/],
    ['HOOKFLOW_MONITOR_INTERVAL', '10ms', /under 100ms/],
  ];
  for (const [name, value, message] of bad) {
    it(`refuses ${name}=${value}`, () => assert.throws(() => monitorOptionsFromEnv({ [name]: value }, '/h'), message));
  }
});
