import { SingleBar } from 'cli-progress';
import type { Progress } from './lib/progress';

/** The progress line of one target in one scenario. */
export interface TargetProgress extends Progress {
  /** Ends the line with what was measured. */
  done(summary: string): void;
  /** Ends the line with why nothing was. */
  failed(message: string): void;
}

/** Where a run says what it is doing. */
export interface RunReporter {
  /** A line of its own, such as a scenario's heading. */
  note(line: string): void;
  /** Opens the progress line of a target; end it with `done` or `failed`. */
  target(name: string): TargetProgress;
}

interface LineState {
  name: string;
  startedAt: number;
  label: string;
  total?: number;
  done?: () => number;
}

const BAR_WIDTH = 24;
/** The widest target name, `raw-publish`, and a space. */
const NAME_WIDTH = 12;

/**
 * Progress on a terminal: one line per target with a cli-progress bar, the
 * count and the elapsed time, redrawn five times a second, left with the
 * target's headline figures when it ends. When the output is not a terminal
 * (CI, jest, a file), plain lines instead: one every `plainEveryMs` while a
 * target runs, and one when it ends.
 */
export class TerminalReporter implements RunReporter {
  /**
   * @param out - where the lines go
   * @param plainEveryMs - the interval of the plain lines
   */
  constructor(
    private readonly out: NodeJS.WritableStream & { isTTY?: boolean } = process.stdout,
    private readonly plainEveryMs = 5_000,
  ) {}

  note(line: string): void {
    this.out.write(`${line}\n`);
  }

  target(name: string): TargetProgress {
    const state: LineState = { name, startedAt: Date.now(), label: 'starting' };
    const end = this.out.isTTY ? this.drawBar(state) : this.printPlain(state);
    const close = (text: string) => end(`${name.padEnd(NAME_WIDTH)} ${text}`);
    return {
      phase: (label, total, done) => {
        Object.assign(state, { label, total, done });
      },
      done: (summary) => close(`done in ${elapsed(state)}: ${summary}`),
      failed: (message) => close(`FAILED after ${elapsed(state)}: ${message}`),
    };
  }

  /** A redrawn line; returns what ends it with a last text. */
  private drawBar(state: LineState): (last: string) => void {
    let last: string | undefined;
    const bar = new SingleBar({
      stream: this.out,
      fps: 5,
      // The line is computed from the state at each redraw; the bar's own value is unused.
      format: () => `  ${last ?? describe(state, true)}`,
      hideCursor: false,
      linewrap: false,
      // Ctrl-C must still end the run: no signal handler of its own.
      gracefulExit: false,
    });
    bar.start(1, 0);
    return (text) => {
      last = text;
      bar.stop();
    };
  }

  /** Plain lines: one every `plainEveryMs` while it runs, and the last; a short target gets only the last. */
  private printPlain(state: LineState): (last: string) => void {
    const timer = setInterval(() => this.note(`  ${describe(state, false)}`), this.plainEveryMs);
    timer.unref();
    return (text) => {
      clearInterval(timer);
      this.note(`  ${text}`);
    };
  }
}

function describe(state: LineState, withBar: boolean): string {
  const done = state.done?.();
  const counted = state.total !== undefined && done !== undefined;
  const count = counted ? ` ${done.toLocaleString('en-US')}/${state.total?.toLocaleString('en-US')}` : '';
  const parts = [state.name.padEnd(NAME_WIDTH)];
  if (withBar) parts.push(bar(counted && state.total ? Math.min(1, (done ?? 0) / state.total) : 0));
  parts.push(`${state.label}${count}`, elapsed(state));
  return parts.join(' ');
}

function bar(fraction: number): string {
  const full = Math.round(fraction * BAR_WIDTH);
  return `${'█'.repeat(full)}${'░'.repeat(BAR_WIDTH - full)}`;
}

function elapsed(state: LineState): string {
  return `${((Date.now() - state.startedAt) / 1000).toFixed(1)} s`;
}
