// Parses PromQL with Prometheus's own grammar, @prometheus-io/lezer-promql (the
// one its web UI uses). That package is ESM only, and the validator runs as
// CommonJS (ts-jest, tsx), so promql.ts runs this file as a child process:
// it reads a JSON array of expressions on stdin and writes, for each, its
// syntax tree as JSON on stdout.
import { parser } from '@prometheus-io/lezer-promql';

let input = '';
for await (const chunk of process.stdin) input += chunk;
const expressions = JSON.parse(input);
process.stdout.write(JSON.stringify(expressions.map((expr) => toJson(parser.parse(expr).topNode))));

/** A node and its children as plain data: type, whether it is an error node, and where it is in the text. */
function toJson(node) {
  const children = [];
  for (let child = node.firstChild; child; child = child.nextSibling) children.push(toJson(child));
  return { type: node.type.name, error: node.type.isError, from: node.from, to: node.to, children };
}
