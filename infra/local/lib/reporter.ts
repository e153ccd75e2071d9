import { MultiBar, Presets, type SingleBar } from 'cli-progress';
import type { StepOutcome, StoryReporter, StoryResult } from './story';
import { clock, paint, say, seconds } from './terminal';

/**
 * Tells the story on stdout: a timeline of steps and events with the time of
 * day and the time since the start, and a cli-progress bar per pending order
 * counting down to its expiry. When stdout is not a terminal (CI, a pipe, a
 * file), plain lines only, nothing redrawn.
 */
export class TerminalReporter implements StoryReporter {
  private readonly startedAt = Date.now();
  private readonly bars = process.stdout.isTTY === true;
  private readonly countdowns = new Map<string, { label: string; from: number; to: number; bar?: SingleBar }>();
  private multibar?: MultiBar;
  private ticker?: NodeJS.Timeout;

  step({ n, title, status, detail, at }: StepOutcome): void {
    const icon = { passed: paint('green', '✔'), failed: paint('red', '✖'), skipped: paint('dim', '·') }[status];
    this.line(`${this.stamp(at)} ${icon} ${n}. ${paint(status === 'skipped' ? 'dim' : 'bold', title)}`);
    for (const text of detail.split('\n'))
      this.line(`${' '.repeat(24)}${paint(status === 'failed' ? 'red' : 'dim', text)}`);
  }

  note(text: string, at: number): void {
    this.line(`${this.stamp(at)}     ${paint('cyan', text)}`);
  }

  countdown(key: string, label: string, from: number, to: number): void {
    const existing = this.countdowns.get(key);
    if (existing) {
      existing.label = label;
      return;
    }
    if (!this.bars) this.note(`⏳ ${label} expires at ${clock(to)} (in ${seconds(to - Date.now())} s)`, Date.now());
    this.multibar ??= this.bars ? this.createMultibar() : undefined;
    const bar = this.multibar?.create(Math.max(1, to - from), 0, { label: '', status: '' });
    this.countdowns.set(key, { label, from, to, bar });
    this.ticker ??= this.bars ? setInterval(() => this.render(), 100) : undefined;
  }

  settle(key: string, label: string): void {
    const countdown = this.countdowns.get(key);
    this.countdowns.delete(key);
    if (!countdown?.bar) return;
    countdown.bar.update(countdown.bar.getTotal(), { label: countdown.label.padEnd(24), status: label });
    this.multibar?.remove(countdown.bar);
    if (this.countdowns.size === 0) this.close();
  }

  /** Prints the verdict, last. */
  verdict(result: StoryResult): void {
    this.close();
    say();
    say(paint('bold', paint(result.ok ? 'green' : 'red', result.verdict)));
  }

  /** Removes the bars and stops redrawing. Safe to call twice. */
  close(): void {
    this.countdowns.clear();
    clearInterval(this.ticker);
    this.ticker = undefined;
    this.multibar?.stop();
    this.multibar = undefined;
  }

  /** A line of the timeline, above the bars if there are any. */
  private line(text: string): void {
    if (this.multibar) this.multibar.log(`${text}\n`);
    else say(text);
  }

  private stamp(at: number): string {
    return `${paint('dim', clock(at))} ${`+${((at - this.startedAt) / 1000).toFixed(1)}s`.padStart(7)}`;
  }

  private createMultibar(): MultiBar {
    const format = `  {label} ${paint('yellow', '{bar}')} {status}`;
    // The launcher handles Ctrl-C and closes the reporter itself.
    const options = { format, barsize: 30, hideCursor: true, clearOnComplete: true, fps: 10, gracefulExit: false };
    return new MultiBar(options, Presets.shades_classic);
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
}
