import { describe, expect, it } from 'vitest';
import { type CpuSample, followMachineLoad, workersFor } from '../src/workload.js';

/** A sample at `at` ms after the machine was busy `machine` ms in all and this process `own` ms. */
const cpu = (at: number, machine: number, own: number): CpuSample => ({
  at,
  machineBusyMs: machine,
  ownMs: own,
});

describe('workersFor', () => {
  const start = cpu(0, 0, 0);
  it('keeps every worker when nothing else runs', () => {
    // 10 s on 2 cores: this process used both, the machine nothing more.
    expect(workersFor(start, cpu(10_000, 20_000, 20_000), 2, 2)).toBe(2);
    // Some background work (0.3 of a core) rounds to none.
    expect(workersFor(start, cpu(10_000, 23_000, 20_000), 2, 2)).toBe(2);
  });

  it('leaves the cores other processes use to them', () => {
    // Another training took one core of two, this one the other.
    expect(workersFor(start, cpu(10_000, 20_000, 10_000), 2, 2)).toBe(1);
    // On 8 cores, others using 3: five of six workers.
    expect(workersFor(start, cpu(10_000, 80_000, 50_000), 6, 8)).toBe(5);
  });

  it('always keeps one worker, and never more than the pool has', () => {
    expect(workersFor(start, cpu(10_000, 40_000, 0), 2, 2)).toBe(1);
    expect(workersFor(start, cpu(10_000, 0, 0), 2, 8)).toBe(2);
    // No time passed: nothing measured, every worker.
    expect(workersFor(start, cpu(0, 0, 0), 2, 2)).toBe(2);
  });
});

describe('followMachineLoad', () => {
  it('measures once per window and follows the load both ways', () => {
    let now = 0;
    // Another process busy on one core for 12 s, then gone, then back; this one busy on its workers.
    let machine = 0;
    let own = 0;
    const samples: number[] = [];
    const policy = followMachineLoad(2, {
      cores: 2,
      windowMs: 5000,
      clock: () => now,
      sample: (at) => {
        samples.push(at);
        return cpu(at, machine, own);
      },
    });
    const run = (ms: number, others: number, ownCores: number) => {
      now += ms;
      machine += ms * (others + ownCores);
      own += ms * ownCores;
    };
    expect(policy.next()).toBe(2); // no window measured yet
    run(4000, 1, 1);
    expect(policy.next()).toBe(2); // 4 s: still inside the first window, not sampled
    expect(samples).toEqual([0]);
    run(1000, 1, 1);
    expect(policy.next()).toBe(1); // the first window: another core busy
    run(5000, 1, 1);
    expect(policy.next()).toBe(1);
    run(2000, 1, 1);
    run(3000, 0, 1);
    expect(policy.next()).toBe(2); // the other left 2 s into the window: 0.4 of a core rounds to none
    run(5000, 1, 1);
    expect(policy.next()).toBe(1); // back
    expect(samples).toEqual([0, 5000, 10_000, 15_000, 20_000]);
  });

  it('keeps every worker of a pool of one, or where the listed CPUs are not the usable ones', () => {
    expect(followMachineLoad(1, { cores: 2 }).next()).toBe(1);
    // A container limited to 2 of a host's cores lists all the host's: the machine's load is not ours.
    expect(followMachineLoad(2, { cores: 1024 }).next()).toBe(2);
  });
});
