import { containersOf, describe, parseImage, type Workload } from './manifest';
import { imageName } from './container-args';
import { Findings, type Problem, type RuleContext } from './rule-context';

/**
 * One advisory: the first release of each maintained line that has its fix.
 * A version of a listed line below its fix is vulnerable. A version of a line
 * that is not listed but older than a listed one got no fix at all (the line
 * had reached its end of life). A line newer than every listed one came out
 * after the fix, and has it.
 */
export interface Advisory {
  /** The CVE ids (or the advisory's id when it has no CVE). */
  ids: readonly string[];
  /** What it is, in a few words. */
  what: string;
  /** The fixed release of each line, such as `7.2.11`. */
  fixedIn: readonly string[];
  /** Where the fixed versions are stated. */
  source: string;
}

/**
 * The known-vulnerable versions refused, by image name. One place: infra/README.md ("Images") lists the same facts
 * with their sources. Add an advisory here when one is published for an image we run.
 */
export const ADVISORIES: Readonly<Record<string, readonly Advisory[]>> = {
  redis: [
    {
      ids: ['CVE-2025-49844', 'CVE-2025-46817', 'CVE-2025-46818', 'CVE-2025-46819'],
      what: 'Lua scripts: use-after-free (remote code execution), integer overflow, another user’s context, out-of-bound read',
      fixedIn: ['6.2.20', '7.2.11', '7.4.6', '8.0.4', '8.2.2'],
      source: 'https://github.com/docker-library/official-images/pull/20011',
    },
  ],
  mongo: [
    {
      ids: ['CVE-2025-14847'],
      what: 'zlib-compressed messages leak uninitialised heap memory to unauthenticated clients (MongoBleed)',
      fixedIn: ['7.0.28', '8.0.17', '8.2.3'],
      source: 'https://github.com/docker-library/official-images/pull/20533',
    },
    {
      ids: ['CVE-2026-11933'],
      what: 'the June 2026 security releases; details in MongoDB’s release notes',
      fixedIn: ['7.0.37', '8.0.26', '8.2.11', '8.3.4'],
      source: 'https://github.com/docker-library/official-images/pull/21663',
    },
    {
      ids: ['CVE-2026-89099'],
      what: 'the September 2026 security releases; details in MongoDB’s release notes',
      fixedIn: ['7.0.43', '8.0.32', '8.3.11'],
      source: 'https://github.com/docker-library/official-images/pull/22261',
    },
  ],
  nats: [
    {
      ids: ['CVE-2025-30215'],
      what: 'JetStream management API: authorization bypass',
      fixedIn: ['2.10.27', '2.11.1'],
      source: 'https://advisories.nats.io/CVE/secnote-2025-01.txt',
    },
    {
      ids: ['CVE-2026-33246', 'CVE-2026-33248'],
      what: 'leafnode identity spoofing in Nats-Request-Info; mTLS DN-based authentication bypass',
      fixedIn: ['2.11.15', '2.12.6'],
      source: 'https://advisories.nats.io/CVE/secnote-2026-13.txt',
    },
  ],
  node: [
    {
      ids: ['CVE-2026-56846', 'CVE-2026-56848', 'CVE-2026-58043'],
      what: 'http2 memory accounting and stream reset, permission model (the July 2026 security releases)',
      fixedIn: ['22.23.2', '24.18.1'],
      source: 'https://github.com/nodejs/node/releases/tag/v22.23.2',
    },
  ],
};

/**
 * How many numbers of a version name its release line: Node's lines are its
 * majors (22.x, the LTS "Jod"); the others' are major.minor (redis 7.2, mongo
 * 7.0, nats 2.12).
 */
const LINE_DEPTH: Readonly<Record<string, number>> = { node: 1 };

/** A version as numbers, `7.2.16-alpine` → [7, 2, 16]; undefined when the tag names no version. */
function versionOf(tag: string | undefined): number[] | undefined {
  const match = /^v?(\d+)\.(\d+)\.(\d+)/.exec(tag ?? '');
  return match ? match.slice(1).map(Number) : undefined;
}

function compare(a: readonly number[], b: readonly number[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const diff = (a[i] ?? 0) - (b[i] ?? 0);
    if (diff !== 0) return diff;
  }
  return 0;
}

/**
 * @param name - an image's name, such as `redis`
 * @param tag - its tag, such as `7.2.16-alpine`
 * @returns what is wrong with that version, one message per advisory it is exposed to
 */
export function vulnerabilitiesOf(name: string, tag: string | undefined): string[] {
  const advisories = ADVISORIES[name];
  const version = versionOf(tag);
  if (!advisories || !version) return [];
  const depth = LINE_DEPTH[name] ?? 2;
  const line = version.slice(0, depth);
  const messages: string[] = [];
  for (const advisory of advisories) {
    const fixes = advisory.fixedIn.map((v) => versionOf(v) as number[]);
    const sameLine = fixes.find((fix) => compare(fix.slice(0, depth), line) === 0);
    const olderThanAFixedLine = fixes.some((fix) => compare(fix.slice(0, depth), line) > 0);
    const ids = advisory.ids.join(', ');
    const fixed = `fixed in ${advisory.fixedIn.join(', ')}; ${advisory.source}`;
    if (sameLine && compare(version, sameLine) < 0) {
      messages.push(
        `${name}:${tag} predates the fix of ${ids} (${advisory.what}): use ${sameLine.join('.')} or later (${fixed})`,
      );
    } else if (!sameLine && olderThanAFixedLine) {
      messages.push(
        `${name}:${tag} is on the ${line.join('.')}.x line, which got no fix for ${ids} (${advisory.what}): move to a maintained line (${fixed})`,
      );
    }
  }
  return messages;
}

/**
 * Every container runs a version of its image past the known advisories
 * ({@link ADVISORIES}).
 *
 * @param workloads - the workloads of one overlay
 * @param context - the overlay
 * @returns the problems
 */
export function checkImageVersions(workloads: readonly Workload[], { where }: RuleContext): Problem[] {
  const found = new Findings('image-versions');
  for (const w of workloads) {
    for (const c of containersOf(w)) {
      for (const message of vulnerabilitiesOf(imageName(c), parseImage(c.image ?? '').tag)) {
        found.add(`${where}: ${describe(w)}: container ${c.name}`, message);
      }
    }
  }
  return found.problems;
}
