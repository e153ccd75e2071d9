/**
 * `dead-letters list|replay <seq>`: lists the dead letters on the event bus, or
 * publishes one's event again. The services run it with
 * `npm run dead-letters -w orders -- list`; see common/README.md.
 */
import { runDeadLetterCli } from './run-dead-letter-cli';

void runDeadLetterCli(process.argv.slice(2), {
  env: process.env,
  out: (line) => console.log(line),
  err: (line) => console.error(line),
}).then((code) => {
  process.exitCode = code;
});
