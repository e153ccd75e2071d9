import { execFileSync } from 'node:child_process';
import path from 'node:path';

/** A node of a PromQL syntax tree, as lezer-promql makes it. */
export interface PromqlNode {
  /** The grammar's node name, such as `VectorSelector`, `Identifier` or `⚠` for an error. */
  type: string;
  /** Whether the parser could not make sense of the text here. */
  error: boolean;
  from: number;
  to: number;
  children: PromqlNode[];
}

const PARSER = path.join(__dirname, 'promql-parse.mjs');
const parsed = new Map<string, PromqlNode>();

/**
 * Parses PromQL expressions with Prometheus's own grammar
 * (`@prometheus-io/lezer-promql`), in one child process for all of them: the
 * package is ESM only, which CommonJS can't `require`. Each expression is
 * parsed once per process, so validating many overlays that share their
 * expressions costs one parse.
 *
 * @param expressions - PromQL expressions
 * @returns the syntax tree of each
 * @throws Error when node can't run the parser
 */
export function parsePromql(expressions: readonly string[]): Map<string, PromqlNode> {
  const missing = [...new Set(expressions)].filter((expr) => !parsed.has(expr));
  if (missing.length > 0) {
    const output = execFileSync(process.execPath, [PARSER], {
      input: JSON.stringify(missing),
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
    });
    const trees = JSON.parse(output) as PromqlNode[];
    missing.forEach((expr, i) => parsed.set(expr, trees[i]));
  }
  return new Map(expressions.map((expr) => [expr, parsed.get(expr) as PromqlNode]));
}

/**
 * @param expr - the expression
 * @param tree - its syntax tree
 * @returns the first place the parser could not read, naming the column and
 *   the text there (the parser's recovery makes later errors mostly echoes of
 *   the first); empty when the expression parses
 */
export function syntaxErrors(expr: string, tree: PromqlNode): string[] {
  if (expr.trim() === '') return ['the expression is empty'];
  const error = nodes(tree).find((node) => node.error);
  if (!error) return [];
  const column = error.from + 1;
  const near = expr
    .slice(Math.max(0, error.from - 20), error.from + 20)
    .replace(/\s+/g, ' ')
    .trim();
  return [
    error.from >= expr.trimEnd().length
      ? `PromQL syntax error: the expression ends too early (column ${column}, after "${near}")`
      : `PromQL syntax error at column ${column}, near "${near}"`,
  ];
}

/** The metric names an expression reads, and the selectors whose metric can't be told. */
export interface MetricNames {
  names: string[];
  /** Selectors without a fixed metric name, such as `{job="x"}` or `{__name__=~"a.*"}`. */
  unresolved: string[];
}

/**
 * The metric name of every vector selector: `name{…}`, or `{__name__="name"}`,
 * or a quoted UTF-8 name `{"name"}`.
 *
 * @param expr - the expression
 * @param tree - its syntax tree
 * @returns the names, sorted and each once, and the selectors that name none
 */
export function metricNames(expr: string, tree: PromqlNode): MetricNames {
  const names = new Set<string>();
  const unresolved: string[] = [];
  const text = (node: PromqlNode) => expr.slice(node.from, node.to);
  for (const selector of nodes(tree).filter((node) => node.type === 'VectorSelector')) {
    const name = selectorName(selector, text);
    if (name === undefined) unresolved.push(text(selector));
    else names.add(name);
  }
  return { names: [...names].sort(), unresolved };
}

function selectorName(selector: PromqlNode, text: (node: PromqlNode) => string): string | undefined {
  const identifier = selector.children.find((child) => child.type === 'Identifier');
  if (identifier) return text(identifier);
  const matchers = selector.children.find((child) => child.type === 'LabelMatchers')?.children ?? [];
  for (const matcher of matchers) {
    // A bare quoted name in the braces is the metric name (Prometheus 3's UTF-8 names).
    if (matcher.type === 'QuotedLabelName') return unquote(text(matcher));
    const [label, op, value] = matcher.children;
    const isName = label && (text(label) === '__name__' || text(label) === '"__name__"');
    if (isName && op?.children[0]?.type === 'EqlSingle' && value?.type === 'StringLiteral') return unquote(text(value));
  }
  return undefined;
}

/** The value of a PromQL string literal: "…" or '…' with Go escapes, or `…` raw. */
function unquote(literal: string): string {
  const quote = literal[0];
  const body = literal.slice(1, -1);
  if (quote === '`') return body;
  if (quote === "'") return JSON.parse(`"${body.replace(/\\'/g, "'").replace(/"/g, '\\"')}"`) as string;
  return JSON.parse(literal) as string;
}

/** Every node of a tree, depth first. */
function nodes(tree: PromqlNode): PromqlNode[] {
  return [tree, ...tree.children.flatMap(nodes)];
}
