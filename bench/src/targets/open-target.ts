import type { BenchSettings, TargetName } from '../config';
import { BusTarget } from './bus-target';
import { RawBullTarget } from './raw-bull-target';
import type { Target, TargetOptions } from './target';

/**
 * Opens one implementation in a fresh space.
 *
 * @param name - service, naive (a) or raw Bull (b)
 * @param settings - the run's settings
 * @param options - label and whether the raw worker runs
 * @returns the target, ready for orders
 */
export function openTarget(name: TargetName, settings: BenchSettings, options: TargetOptions): Promise<Target> {
  return name === 'raw' ? RawBullTarget.open(settings, options) : BusTarget.open(name, settings, options);
}
