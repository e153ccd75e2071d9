import type { BenchSettings, TargetName } from '../config';
import { BusTarget } from './bus-target';
import { RawBullTarget } from './raw-bull-target';
import { openRawPublishTarget } from './raw-publish-target';
import type { Target, TargetOptions } from './target';

/**
 * Opens one implementation in a fresh space.
 *
 * @param name - service, naive (a), raw Bull (b) or raw Bull + publish (c)
 * @param settings - the run's settings
 * @param options - label and whether the raw worker runs
 * @returns the target, ready for orders
 */
export function openTarget(name: TargetName, settings: BenchSettings, options: TargetOptions): Promise<Target> {
  switch (name) {
    case 'raw':
      return RawBullTarget.open(settings, options);
    case 'raw-publish':
      return openRawPublishTarget(settings, options);
    default:
      return BusTarget.open(name, settings, options);
  }
}
