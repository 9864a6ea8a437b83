/**
 * The part of CEL syntax that can be checked offline without a CEL parser: string literals must be
 * closed and brackets balanced (the CEL grammar, cel-spec doc/langdef.md "Syntax", admits no
 * expression otherwise).
 * Attribute names are not checked: which ones exist depends on the proxy and its extensions.
 * Pure: no cdk8s import.
 */

const CLOSING: { [open: string]: string } = { '(': ')', '[': ']', '{': '}' };

/** What is wrong with the brackets or string literals of a CEL expression, or undefined. */
export function celSyntaxProblem(expression: string): string | undefined {
  const open: { char: string; at: number }[] = [];
  let i = 0;
  while (i < expression.length) {
    const c = expression[i];
    if (c === '"' || c === "'") {
      // Triple-quoted strings may span quotes of the same kind; single-quoted ones end at the first unescaped quote.
      const quote = expression.startsWith(c.repeat(3), i) ? c.repeat(3) : c;
      // Raw strings (r'...', also after a bytes prefix: br'...', rb'...') take backslashes literally.
      const raw = /(^|[^A-Za-z0-9_])(r|R|br|bR|Br|BR|rb|rB|Rb|RB)$/.test(expression.slice(0, i));
      let j = i + quote.length;
      let closed = false;
      while (j < expression.length) {
        if (expression[j] === '\\' && !raw) {
          j += 2;
          continue;
        }
        if (expression.startsWith(quote, j)) {
          closed = true;
          break;
        }
        j++;
      }
      if (!closed) return `has a string literal opened at character ${i + 1} and never closed (add the closing ${quote})`;
      i = j + quote.length;
      continue;
    }
    if (CLOSING[c]) {
      open.push({ char: c, at: i });
    } else if (c === ')' || c === ']' || c === '}') {
      const last = open.pop();
      if (!last) return `has '${c}' at character ${i + 1} with nothing open to close`;
      if (CLOSING[last.char] !== c) return `has '${c}' at character ${i + 1} closing the '${last.char}' at character ${last.at + 1}`;
    }
    i++;
  }
  const unclosed = open.pop();
  if (unclosed) return `has '${unclosed.char}' at character ${unclosed.at + 1} never closed (add '${CLOSING[unclosed.char]}')`;
  return undefined;
}
