import path from 'node:path';
import { loadBenchSettings } from '../config';
import { profilingArgs } from '../lib/profiling';

const ENV = {};

describe('loadBenchSettings', () => {
  it('runs every scenario on the four targets by default', () => {
    const settings = loadBenchSettings(['--service=tsx'], ENV);

    expect(settings.targets).toEqual(['service', 'naive', 'raw', 'raw-publish']);
    expect(settings.scenarios).toEqual(['ingest', 'precision', 'burst', 'recovery', 'capacity', 'replicas']);
    expect(settings.sweepConcurrency).toEqual([]);
    expect(path.basename(settings.out)).toBe('latest.json');
  });

  it('with --quick, leaves the replicas scenario out unless asked for', () => {
    const quick = loadBenchSettings(['--service=tsx', '--quick'], ENV);
    const asked = loadBenchSettings(['--service=tsx', '--quick', '--scenarios=replicas'], ENV);

    expect(quick.scenarios).toEqual(['ingest', 'precision', 'burst', 'recovery', 'capacity']);
    expect(asked.scenarios).toEqual(['replicas']);
  });

  it('with --sweep-concurrency, runs the burst on the service and raw Bull + publish unless told otherwise', () => {
    const settings = loadBenchSettings(['--service=tsx', '--sweep-concurrency=50, 100,400'], ENV);

    expect(settings.sweepConcurrency).toEqual([50, 100, 400]);
    expect(settings.scenarios).toEqual(['burst']);
    expect(settings.targets).toEqual(['service', 'raw-publish']);
    expect(path.basename(settings.out)).toBe('sweep.json');
  });

  it('keeps the scenarios and targets asked for in a sweep', () => {
    const settings = loadBenchSettings(
      ['--service=tsx', '--sweep-concurrency=100', '--scenarios=ingest,burst', '--targets=service,raw', '--quick'],
      ENV,
    );

    expect(settings.scenarios).toEqual(['ingest', 'burst']);
    expect(settings.targets).toEqual(['service', 'raw']);
    expect(path.basename(settings.out)).toBe('sweep-quick.json');
  });

  it.each([
    [['--sweep-concurrency=50,0'], /--sweep-concurrency takes a positive integer, got "0"/],
    [['--sweep-concurrency=50', '--env=EXPIRATION_CONCURRENCY=100'], /leave it out of --env/],
    [['--targets=service,raw-pub'], /--targets: unknown raw-pub/],
  ])('refuses %j', (argv, message) => {
    expect(() => loadBenchSettings(['--service=tsx', ...argv], ENV)).toThrow(message);
  });
});

describe('profilingArgs', () => {
  it('sends a --cpu-prof profile to a folder of its own under the log folder', () => {
    expect(profilingArgs(['--cpu-prof'], '/tmp/logs', 'burst-service-1')).toEqual([
      '--cpu-prof',
      '--cpu-prof-dir=/tmp/logs/burst-service-1.cpuprofiles',
    ]);
  });

  it('leaves the options alone without --cpu-prof, or with a folder given', () => {
    expect(profilingArgs(['--max-old-space-size=512'], '/tmp/logs', 'x')).toEqual(['--max-old-space-size=512']);
    expect(profilingArgs(['--cpu-prof', '--cpu-prof-dir=/p'], '/tmp/logs', 'x')).toEqual([
      '--cpu-prof',
      '--cpu-prof-dir=/p',
    ]);
  });
});
