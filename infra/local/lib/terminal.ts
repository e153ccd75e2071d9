import { styleText } from 'node:util';

// One style at a time: Node 20's styleText ignores the stream's lack of colours for an array of styles.
type Style = Extract<Parameters<typeof styleText>[0], string>;

/** Whether stdout shows colours: a terminal, and NO_COLOR unset (or FORCE_COLOR set); styleText decides. */
export const colorful = styleText('red', 'x', { stream: process.stdout }) !== 'x';

/** `text` styled for stdout (`bold`, `green`…), or plain where stdout shows no colours. */
export const paint = (style: Style, text: string): string => styleText(style, text, { stream: process.stdout });

export const say = (text = ''): void => void process.stdout.write(`${text}\n`);
export const ok = (text: string): void => say(`${paint('green', '✔')} ${text}`);
export const warn = (text: string): void => say(paint('yellow', `⚠ ${text}`));
export const fail = (text: string): void => say(`${paint('red', '✖')} ${text}`);
export const note = (text: string): void => say(paint('dim', text));

/**
 * Handles Ctrl-C (and SIGTERM, SIGHUP). The first calls `first`, which stops
 * things in order; another, a second or more later, calls `again`. A repeat
 * within that second is the same interrupt: the terminal signals the whole
 * foreground group, and tsx, which runs this script, passes it on as well.
 *
 * @param first - the graceful stop
 * @param again - the impatient one; it should exit at once
 */
export function onInterrupt(first: () => void, again: () => void): void {
  let firstAt: number | undefined;
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(signal, () => {
      if (firstAt === undefined) {
        firstAt = Date.now();
        first();
      } else if (Date.now() - firstAt > 1_000) again();
    });
  }
}

/** Epoch milliseconds as local time, HH:MM:SS.mmm. */
export function clock(ms: number): string {
  const d = new Date(ms);
  return `${d.toTimeString().slice(0, 8)}.${String(d.getMilliseconds()).padStart(3, '0')}`;
}

/** A duration in seconds, with one decimal, or two under a second. */
export function seconds(ms: number): string {
  return (ms / 1000).toFixed(Math.abs(ms) < 1_000 ? 2 : 1);
}
