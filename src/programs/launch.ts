/**
 * The pure (or nearly: a stat, a read) parts of launching a program: its argv from the
 * `parameters` string, its main file, its language and interpreter, and its environment.
 */
import { accessSync, constants, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { isAbsolute, join, normalize, relative, sep } from 'node:path';
import { parseEnv } from 'node:util';
import { quote } from 'shell-quote';
import { HookflowError } from '../errors.js';
import { DEFAULT_MAIN_FILES, type ProgramDefinition, type ProgramLanguage } from './model.js';

// ── parameters ──────────────────────────────────────────────────────────────────────────────

const OPERATORS = new Set(['|', '&', ';', '<', '>', '(', ')']);
const OPERATORS_HINT = 'hookflow passes parameters to the program as arguments, not through a shell: quote the character to pass it as is (\'a|b\')';

function parametersError(text: string, offset: number, message: string, hint: string): HookflowError {
  return new HookflowError('HF_ERR_INVALID_PROGRAM_PARAMETERS', `parameters ${JSON.stringify(text)}: ${message} at character ${offset + 1}`, {
    hint,
    offset,
  });
}

/**
 * Splits PyExecutorHub's `parameters` string into argv as a POSIX shell would split words: single
 * quotes keep everything, double quotes keep everything but `\"`, `\\`, `\$`, `` \` `` escapes,
 * a backslash outside quotes escapes the next character, `#` at the start of a word begins a
 * comment. What a shell would do beyond splitting is not done: `$VAR` and `${VAR}` stay literal
 * (the program's environment is not the server's), and so do globs and `~`. What a shell would
 * run instead of passing is refused with an error rather than passed on silently: pipes,
 * redirections, `;`, `&`, subshells, `$(…)` and backquotes outside single quotes, and an
 * unterminated quote.
 *
 * shell-quote's parse is not used for this: it expands `$VAR` (to "" without an environment),
 * loses `${}` braces, splits `it's` into two words where a shell reports the open quote, and
 * gives no position for a problem.
 */
export function splitParameters(text: string): string[] {
  const words: string[] = [];
  let word = '';
  // A word exists once anything (even "") was written for it, so `""` is an empty argument.
  let inWord = false;
  let at = 0;
  const end = (): void => {
    if (inWord) words.push(word);
    word = '';
    inWord = false;
  };
  while (at < text.length) {
    const char = text[at];
    if (char === '\0') throw parametersError(text, at, 'a NUL character cannot be in an argument', 'remove it');
    if (char === ' ' || char === '\t' || char === '\n' || char === '\r') {
      end();
      at++;
    } else if (char === '#' && !inWord) {
      const newline = text.indexOf('\n', at);
      at = newline < 0 ? text.length : newline;
    } else if (char === "'") {
      const close = text.indexOf("'", at + 1);
      if (close < 0) throw parametersError(text, at, 'the single quote is never closed', "close it, or write the quote inside double quotes (\"it's\")");
      word += text.slice(at + 1, close);
      inWord = true;
      at = close + 1;
    } else if (char === '"') {
      const open = at;
      inWord = true;
      at++;
      for (;;) {
        if (at >= text.length) throw parametersError(text, open, 'the double quote is never closed', 'close it, or escape it as \\"');
        const inner = text[at];
        if (inner === '"') {
          at++;
          break;
        }
        if (inner === '\\' && at + 1 < text.length && '"\\$`\n'.includes(text[at + 1])) {
          if (text[at + 1] !== '\n') word += text[at + 1];
          at += 2;
          continue;
        }
        if (inner === '`' || (inner === '$' && text[at + 1] === '(')) {
          throw parametersError(text, at, 'command substitution is not run', "write the value itself, or single-quote it to pass it as is ('$(date)')");
        }
        if (inner === '\0') throw parametersError(text, at, 'a NUL character cannot be in an argument', 'remove it');
        word += inner;
        at++;
      }
    } else if (char === '\\') {
      if (at + 1 < text.length) {
        // A backslash before a newline continues the line.
        if (text[at + 1] !== '\n') {
          word += text[at + 1];
          inWord = true;
        }
        at += 2;
      } else {
        word += char;
        inWord = true;
        at++;
      }
    } else if (char === '`' || (char === '$' && text[at + 1] === '(')) {
      throw parametersError(text, at, 'command substitution is not run', "write the value itself, or single-quote it to pass it as is ('$(date)')");
    } else if (OPERATORS.has(char)) {
      throw parametersError(text, at, `the shell operator ${JSON.stringify(char)} is not supported`, OPERATORS_HINT);
    } else {
      word += char;
      inWord = true;
      at++;
    }
  }
  end();
  return words;
}

/** argv as one string a shell (and splitParameters) splits back into the same words. */
export function quoteParameters(argv: readonly string[]): string {
  return quote(argv);
}

// ── main file and language ──────────────────────────────────────────────────────────────────

function statOf(path: string): ReturnType<typeof statSync> | null {
  try {
    return statSync(path);
  } catch {
    return null;
  }
}

/**
 * The main file to run, relative to the program's directory: `main_file` when given (it must
 * exist), else the first of DEFAULT_MAIN_FILES that does. Throws PyExecutorHub's errors for people.
 */
export function resolveMainFile(directory: string, mainFile: string | null): string {
  const folder = statOf(directory);
  if (!folder || !folder.isDirectory()) {
    throw new HookflowError(
      'HF_ERR_PROGRAM_DIRECTORY_NOT_FOUND',
      folder ? `Program path ${directory} is not a directory.` : `Program directory ${directory} not found. Please ensure it exists or update the configuration.`,
      { where: directory, hint: "a program's path names the folder holding its main file" },
    );
  }
  if (mainFile !== null) {
    const relativePath = normalize(mainFile);
    if (isAbsolute(relativePath) || relativePath === '..' || relativePath.startsWith(`..${sep}`)) {
      throw new HookflowError('HF_ERR_MAIN_FILE_NOT_FOUND', `Main program file '${mainFile}' is outside the program directory ${directory}.`, {
        where: directory,
        hint: 'main_file is a path inside the program directory, such as "main.py" or "src/app.js"',
      });
    }
    const stat = statOf(join(directory, relativePath));
    if (!stat || !stat.isFile()) {
      throw new HookflowError(
        'HF_ERR_MAIN_FILE_NOT_FOUND',
        `Main program file '${mainFile}' not found in ${directory}. Please ensure the file exists or update the configuration.`,
        { where: directory, hint: stat ? `${mainFile} is a directory, not a file` : `files are looked up relative to ${directory}` },
      );
    }
    return relativePath;
  }
  for (const candidate of DEFAULT_MAIN_FILES) {
    if (statOf(join(directory, candidate))?.isFile()) return candidate;
  }
  throw new HookflowError(
    'HF_ERR_MAIN_FILE_NOT_FOUND',
    `No main program file found in ${directory}: tried ${DEFAULT_MAIN_FILES.join(', ')}. Please add one of these files or set main_file in the configuration.`,
    { where: directory, hint: 'set main_file: "your_file.py" for this program' },
  );
}

const LANGUAGE_BY_EXTENSION: Readonly<Record<string, ProgramLanguage>> = {
  '.py': 'python',
  '.js': 'node',
  '.mjs': 'node',
  '.cjs': 'node',
  '.ts': 'typescript',
  '.mts': 'typescript',
  '.sh': 'bash',
};

/** The language a file runs as: the override when given, else by extension; anything else is executed itself. */
export function languageOf(file: string, override: ProgramLanguage | null): ProgramLanguage {
  if (override) return override;
  const name = file.slice(Math.max(file.lastIndexOf('/'), file.lastIndexOf(sep)) + 1);
  const dot = name.lastIndexOf('.');
  if (dot <= 0) return 'executable';
  return LANGUAGE_BY_EXTENSION[name.slice(dot).toLowerCase()] ?? 'executable';
}

/** Why a file run as 'executable' cannot be, for people; null when it can. Checked at run time on the host. */
export function executableProblem(file: string): HookflowError | null {
  try {
    accessSync(file, constants.X_OK);
    return null;
  } catch {
    return new HookflowError('HF_ERR_PROGRAM_NOT_EXECUTABLE', `${file} is not executable and its extension names no interpreter.`, {
      where: file,
      hint: `make it executable (chmod +x ${file}), give it an extension (.py, .js, .ts, .sh), or set language: for this program`,
    });
  }
}

const DEFAULT_INTERPRETERS: Readonly<Record<Exclude<ProgramLanguage, 'typescript' | 'executable'>, string>> = {
  python: 'python3',
  node: 'node',
  bash: 'bash',
  sh: 'sh',
};

let tsxLoader: string | null | undefined;

/** tsx's loader (its `--import` entry) as this package resolves it; null when tsx is not installed. */
export function tsxLoaderPath(): string | null {
  if (tsxLoader === undefined) {
    try {
      tsxLoader = createRequire(import.meta.url).resolve('tsx');
    } catch {
      tsxLoader = null;
    }
  }
  return tsxLoader;
}

/**
 * The interpreter's argv before the script ([] to execute it itself). `interpreters` from the
 * settings apply on the host only: they name host paths ("/usr/bin/python3"), which an image
 * need not have; in a container the image's PATH decides. TypeScript runs on the host through
 * the tsx hookflow itself uses (so no global install is needed), in a container through `tsx`.
 */
export function interpreterFor(language: ProgramLanguage, interpreters: Partial<Record<ProgramLanguage, string>>, place: 'host' | 'container'): string[] {
  if (language === 'executable') return [];
  const configured = place === 'host' ? interpreters[language] : undefined;
  if (configured !== undefined && configured.trim() !== '') return splitParameters(configured);
  if (language === 'typescript') {
    if (place === 'container') return ['tsx'];
    const loader = tsxLoaderPath();
    const node = interpreters.node?.trim() ? splitParameters(interpreters.node) : ['node'];
    return loader ? [...node, '--import', loader] : ['tsx'];
  }
  return [DEFAULT_INTERPRETERS[language]];
}

// ── environment ─────────────────────────────────────────────────────────────────────────────

/** `PARAM_<KEY>` for each request parameter: the key upper-cased, characters other than A-Z 0-9 _ as `_`; strings as is, other values as JSON. */
export function parameterEnv(parameters: Record<string, unknown>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(parameters)) {
    // A null parameter is an absent one (PyExecutorHub would have passed the string "None").
    if (value === undefined || value === null) continue;
    const name = `PARAM_${key.toUpperCase().replace(/[^A-Z0-9_]/g, '_')}`;
    env[name] = typeof value === 'string' ? value : (JSON.stringify(value) ?? String(value));
  }
  return env;
}

/** The variables of the directory's `.env` (dotenv syntax as Node reads it); {} when there is none. */
export function readDotEnv(directory: string): Record<string, string> {
  let text: string;
  try {
    text = readFileSync(join(directory, '.env'), 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'EISDIR') return {};
    throw new HookflowError('HF_ERR_INVALID_ARGUMENT', `cannot read ${join(directory, '.env')}: ${(error as Error).message}`, { where: join(directory, '.env') });
  }
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(parseEnv(text))) if (value !== undefined) env[key] = value;
  return env;
}

/** What a program sees, later entries winning: the folder's .env, the program's `env`, then PROGRAM_ID, EXECUTION_ID and PARAM_*. */
export function programEnv(input: {
  program: Pick<ProgramDefinition, 'id' | 'env'>;
  executionId: string;
  parameters: Record<string, unknown>;
  dotenv: Record<string, string>;
}): Record<string, string> {
  return {
    ...input.dotenv,
    ...input.program.env,
    PROGRAM_ID: input.program.id,
    EXECUTION_ID: input.executionId,
    ...parameterEnv(input.parameters),
  };
}

/** The path of `file` relative to `root` when it is inside it (or is it), else null. */
export function pathInside(root: string, file: string): string | null {
  const rel = relative(root, file);
  if (rel === '') return '';
  if (isAbsolute(rel) || rel === '..' || rel.startsWith(`..${sep}`)) return null;
  return rel;
}
