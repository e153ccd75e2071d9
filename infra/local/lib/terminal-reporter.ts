import { MultiBar, Presets, type SingleBar } from 'cli-progress';
import { paintFor, type Paint } from './ansi';
import { clock, seconds, type StepOutcome, type StoryReporter, type StoryResult } from './story';

/** Options of a {@link TerminalReporter}. */
export interface TerminalReporterOptions {
  /** @defaultValue process.stdout */
  stream?: NodeJS.WriteStream;
  /**
   * Live countdown bars. Off when the stream is not a terminal (CI, a pipe, a
   * file): plain lines only, nothing redrawn.
   *
   * @defaultValue whether the stream is a TTY
   */
  bars?: boolean;
  /** Elapsed times count from here. @defaultValue now */
  startedAt?: number;
}

interface Countdown {
  label: string;
  from: number;
  to: number;
  /** None without bars. */
  bar?: SingleBar;
}

/**
 * Tells the story in a terminal: a timeline of steps and events with the time
 * of day and the time since the start, and a cli-progress bar per pending
 * order counting down to its expiry.
 */
export class TerminalReporter implements StoryReporter {
  private readonly stream: NodeJS.WriteStream;
  private readonly bars: boolean;
  private readonly paint: Paint;
  private readonly startedAt: number;
  private multibar?: MultiBar;
  private ticker?: NodeJS.Timeout;
  private readonly countdowns = new Map<string, Countdown>();

  constructor(options: TerminalReporterOptions = {}) {
    this.stream = options.stream ?? process.stdout;
    this.bars = options.bars ?? this.stream.isTTY === true;
    this.paint = paintFor(this.stream);
    this.startedAt = options.startedAt ?? Date.now();
  }

  /** Prints a line of the timeline, above the bars if there are any. */
  line(text = ''): void {
    if (this.multibar) this.multibar.log(`${text}\n`);
    else this.stream.write(`${text}\n`);
  }

  step(outcome: StepOutcome): void {
    const p = this.paint;
    const icon = outcome.status === 'passed' ? p.green('✔') : outcome.status === 'failed' ? p.red('✖') : p.dim('·');
    const title = outcome.status === 'skipped' ? p.dim(outcome.title) : p.bold(outcome.title);
    this.line(`${this.stamp(outcome.at)} ${icon} ${outcome.n}. ${title}`);
    const indent = ' '.repeat(24);
    for (const detail of outcome.detail.split('\n')) {
      this.line(`${indent}${outcome.status === 'failed' ? p.red(detail) : p.dim(detail)}`);
    }
  }

  note(text: string, at: number): void {
    this.line(`${this.stamp(at)}     ${this.paint.cyan(text)}`);
  }

  countdown(key: string, label: string, from: number, to: number): void {
    const existing = this.countdowns.get(key);
    if (!this.bars) {
      if (!existing) this.note(`⏳ ${label} expires at ${clock(to)} (in ${seconds(to - Date.now())} s)`, Date.now());
      this.countdowns.set(key, { label, from, to });
      return;
    }
    if (existing) {
      existing.label = label;
      this.render();
      return;
    }
    this.multibar ??= this.createMultibar();
    const bar = this.multibar.create(Math.max(1, to - from), 0, { label: '', status: '' });
    this.countdowns.set(key, { label, from, to, bar });
    this.ticker ??= setInterval(() => this.render(), 100);
    this.render();
  }

  settle(key: string, label: string): void {
    const countdown = this.countdowns.get(key);
    if (!countdown) return;
    this.countdowns.delete(key);
    if (!countdown.bar || !this.multibar) return;
    countdown.bar.update(countdown.bar.getTotal(), { label: countdown.label.padEnd(24), status: label });
    this.multibar.remove(countdown.bar);
    if (this.countdowns.size === 0) this.stopBars();
  }

  /** Prints the verdict, last. */
  verdict(result: StoryResult): void {
    this.close();
    const p = this.paint;
    this.line();
    this.line(result.ok ? p.bold(p.green(result.verdict)) : p.bold(p.red(result.verdict)));
  }

  /** Removes the bars and stops redrawing. Safe to call twice. */
  close(): void {
    this.countdowns.clear();
    this.stopBars();
  }

  private stamp(at: number): string {
    const elapsed = `+${((at - this.startedAt) / 1000).toFixed(1)}s`.padStart(7);
    return `${this.paint.dim(clock(at))} ${elapsed}`;
  }

  private createMultibar(): MultiBar {
    return new MultiBar(
      {
        stream: this.stream,
        format: `  {label} ${this.paint.yellow('{bar}')} {status}`,
        barsize: 30,
        hideCursor: true,
        clearOnComplete: true,
        fps: 10,
        // The launcher handles Ctrl-C and closes the reporter itself.
        gracefulExit: false,
      },
      Presets.shades_classic,
    );
  }

  private render(): void {
    const now = Date.now();
    for (const c of this.countdowns.values()) {
      const left = c.to - now;
      const status =
        left > 0 ? `expires in ${seconds(left).padStart(5)} s` : 'expired — waiting for expiration:complete';
      c.bar?.update(Math.min(Math.max(0, now - c.from), c.to - c.from), { label: c.label.padEnd(24), status });
    }
  }

  private stopBars(): void {
    if (this.ticker) clearInterval(this.ticker);
    this.ticker = undefined;
    this.multibar?.stop();
    this.multibar = undefined;
  }
}
