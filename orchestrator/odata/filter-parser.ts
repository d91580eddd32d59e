import { COMPARE_OPS, STRING_FUNCTIONS, type CompareOp, type FilterLiteral, type FilterNode, type StringFunction } from './filter-ast.js';
import { tokenize, type Token } from './filter-tokenizer.js';

type AliasToken = Extract<Token, { type: 'alias' }>;
import { ODataError, ODataErrorCode } from './odata-error.js';

/** Longest `$filter` accepted (characters). */
export const MAX_FILTER_LENGTH = 8192;
/** Deepest nesting of parentheses and `not` accepted. */
export const MAX_FILTER_DEPTH = 32;
/** Most comparisons and function calls in one filter (keeps the SQL under SQLite's expression depth of 1000). */
export const MAX_FILTER_TERMS = 400;

const syntax = (message: string): ODataError => new ODataError(ODataErrorCode.InvalidFilter, `Syntax error in $filter: ${message}`);

const describe = (t: Token): string => {
  switch (t.type) {
    case 'eof':
      return 'the end of the expression';
    case 'identifier':
      return `'${t.text}' at position ${t.pos}`;
    case 'alias':
      return `parameter alias '${t.name}' at position ${t.pos}`;
    case 'string':
      return `string literal at position ${t.pos}`;
    case 'number':
    case 'guid':
    case 'datetime':
      return `${t.type} literal at position ${t.pos}`;
    default:
      return `'${t.type}' at position ${t.pos}`;
  }
};

const keyword = (t: Token): string | undefined => (t.type === 'identifier' ? t.text.toLowerCase() : undefined);

/** Recursive-descent parser over the grammar `or := and ('or' and)*; and := unary ('and' unary)*; unary := 'not' unary | primary`. */
class Parser {
  private index = 0;
  private depth = 0;
  private terms = 0;
  private aliasChars = 0;

  constructor(
    private readonly tokens: Token[],
    private readonly aliases: ReadonlyMap<string, string> = new Map(),
  ) {}

  parse(): FilterNode {
    const node = this.parseOr();
    const rest = this.peek();
    if (rest.type !== 'eof') throw syntax(`expected 'and', 'or' or the end of the expression, found ${describe(rest)}`);
    return node;
  }

  private peek(): Token {
    return this.tokens[this.index]!;
  }

  private take(): Token {
    const t = this.tokens[this.index]!;
    if (t.type !== 'eof') this.index += 1;
    return t;
  }

  private expect(type: '(' | ')' | ',', what: string): void {
    const t = this.take();
    if (t.type !== type) throw syntax(`expected ${what}, found ${describe(t)}`);
  }

  private parseOr(): FilterNode {
    let left = this.parseAnd();
    while (keyword(this.peek()) === 'or') {
      this.take();
      left = { kind: 'or', left, right: this.parseAnd() };
    }
    return left;
  }

  private parseAnd(): FilterNode {
    let left = this.parseUnary();
    while (keyword(this.peek()) === 'and') {
      this.take();
      left = { kind: 'and', left, right: this.parseUnary() };
    }
    return left;
  }

  private enter(): void {
    this.depth += 1;
    if (this.depth > MAX_FILTER_DEPTH) throw syntax(`expression nested deeper than ${MAX_FILTER_DEPTH} levels`);
  }

  private parseUnary(): FilterNode {
    if (keyword(this.peek()) === 'not') {
      this.take();
      this.enter();
      const operand = this.parseUnary();
      this.depth -= 1;
      return { kind: 'not', operand };
    }
    if (this.peek().type === '(') {
      this.take();
      this.enter();
      const inner = this.parseOr();
      this.expect(')', "')'");
      this.depth -= 1;
      return inner;
    }
    return this.parseTerm();
  }

  private parseTerm(): FilterNode {
    this.terms += 1;
    if (this.terms > MAX_FILTER_TERMS) throw syntax(`more than ${MAX_FILTER_TERMS} conditions`);
    const head = this.take();
    if (head.type === 'alias') throw syntax(`${describe(head)} stands where a property name must be: parameter aliases stand for values only`);
    if (head.type !== 'identifier') throw syntax(`expected a property name, a function or '(', found ${describe(head)}`);
    const fn = head.text.toLowerCase();
    if (this.peek().type === '(' && (STRING_FUNCTIONS as readonly string[]).includes(fn)) return this.parseFunction(fn as StringFunction);
    if (this.peek().type === '(') throw syntax(`unknown function '${head.text}' at position ${head.pos} (supported: ${STRING_FUNCTIONS.join(', ')})`);
    const opToken = this.take();
    const op = keyword(opToken);
    if (op === undefined || !(COMPARE_OPS as readonly string[]).includes(op)) {
      throw syntax(`expected a comparison operator (${COMPARE_OPS.join(' ')}) after '${head.text}', found ${describe(opToken)}`);
    }
    return { kind: 'compare', op: op as CompareOp, property: head.text, value: this.parseLiteral() };
  }

  private parseFunction(name: StringFunction): FilterNode {
    this.expect('(', "'('");
    const prop = this.take();
    if (prop.type !== 'identifier') throw syntax(`${name}() needs a property name first, found ${describe(prop)}`);
    this.expect(',', `',' in ${name}()`);
    const arg = this.take();
    const value = arg.type === 'alias' ? this.aliasValue(arg) : arg.type === 'string' ? { kind: arg.type, value: arg.value } : undefined;
    if (value?.kind !== 'string') throw syntax(`${name}() needs a string literal second, found ${describe(arg)}`);
    this.expect(')', `')' closing ${name}()`);
    return { kind: 'function', name, property: prop.text, value: value.value };
  }

  /** The literal an alias names (`@p1=4`): its value is parsed as a literal of its own, and counts toward the length limit. */
  private aliasValue(t: AliasToken): FilterLiteral {
    const text = this.aliases.get(t.name);
    if (text === undefined) throw syntax(`${describe(t)} has no value (add '&${t.name}=<value>' to the query)`);
    this.aliasChars += text.length;
    if (this.aliasChars > MAX_FILTER_LENGTH) throw syntax(`the values of its parameter aliases are longer than ${MAX_FILTER_LENGTH} characters`);
    const tokens = tokenize(text);
    if (tokens.length !== 2 || tokens[0]!.type === 'alias') {
      throw syntax(`the value of parameter alias '${t.name}' must be one literal ('text', a number, a GUID, a date-time, true, false or null)`);
    }
    return new Parser(tokens).parseLiteral();
  }

  private parseLiteral(): FilterLiteral {
    const t = this.take();
    switch (t.type) {
      case 'alias':
        return this.aliasValue(t);
      case 'string':
      case 'number':
      case 'guid':
      case 'datetime':
        return { kind: t.type, value: t.value } as FilterLiteral;
      case 'identifier': {
        const word = t.text.toLowerCase();
        if (word === 'true' || word === 'false') return { kind: 'boolean', value: word === 'true' };
        if (word === 'null') return { kind: 'null' };
        throw syntax(`expected a literal value, found ${describe(t)} (comparing two properties is not supported)`);
      }
      default:
        throw syntax(`expected a literal value, found ${describe(t)}`);
    }
  }
}

/**
 * Parses `$filter` text into a syntax tree; throws ODataError (never anything else) on bad input. `aliases` are the
 * request's parameter aliases by name with `@` (`@p1` → `'text'`): each stands for one literal value.
 */
export function parseFilter(text: string, aliases?: ReadonlyMap<string, string>): FilterNode {
  if (text.length > MAX_FILTER_LENGTH) throw syntax(`longer than ${MAX_FILTER_LENGTH} characters`);
  if (text.trim() === '') throw syntax('the expression is empty');
  return new Parser(tokenize(text), aliases).parse();
}
