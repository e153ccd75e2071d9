import { LineSplitter, createLogFormatter } from '../log-lines';

describe('LineSplitter', () => {
  it('hands over whole lines however the pipe cuts them, and the last one at the end', () => {
    const lines: string[] = [];
    const splitter = new LineSplitter((line) => lines.push(line));

    splitter.push('{"a":');
    splitter.push('1}\n{"b"');
    splitter.push(':2}\r\nlast');
    splitter.end();

    expect(lines).toEqual(['{"a":1}', '{"b":2}', 'last']);
  });
});

describe('createLogFormatter', () => {
  const format = createLogFormatter({ color: false });

  it('turns a pino line with a level label into time, level, message and the other fields', () => {
    const line = JSON.stringify({
      level: 'info',
      time: '2025-01-01T10:00:00.000Z',
      pid: 1,
      hostname: 'h',
      name: 'orders',
      orderId: 'abc',
      msg: 'expiration scheduled',
    });

    const [text] = format(line);

    expect(text).toMatch(/^\[\d\d:\d\d:\d\d\.000\] INFO: expiration scheduled \{"orderId":"abc"\}$/);
  });

  it('passes a line that is not pino JSON through unchanged', () => {
    expect(format('[tsx] change in ./src/app.ts Restarting...')).toEqual([
      '[tsx] change in ./src/app.ts Restarting...',
    ]);
    expect(format('{not json')).toEqual(['{not json']);
  });
});
