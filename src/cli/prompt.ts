import { HookflowError } from '../errors.js';
import type { CliIo } from './context.js';
import { UsageError } from './parse.js';

/** Reads a line from the terminal without echoing it. */
export function promptHidden(io: CliIo, question: string, what = 'the value'): Promise<string> {
  const { stdin } = io;
  if (!stdin.setRawMode) return Promise.reject(new UsageError('cannot prompt for the value here', 'pipe it on standard input instead'));
  const setRawMode = stdin.setRawMode.bind(stdin);
  io.stderr.write(question);
  return new Promise((resolve, reject) => {
    let value = '';
    const finish = (error?: Error) => {
      stdin.removeListener('data', onData);
      setRawMode(false);
      stdin.pause();
      io.stderr.write('\n');
      if (error) reject(error);
      else resolve(value);
    };
    const onData = (chunk: Buffer | string) => {
      for (const char of chunk.toString()) {
        if (char === '\r' || char === '\n' || char === '\u0004') return finish();
        if (char === '\u0003') return finish(new HookflowError('HF_ERR_INVALID_ARGUMENT', `cancelled: ${what} was not given`));
        if (char === '\u007f' || char === '\b') value = [...value].slice(0, -1).join('');
        else value += char;
      }
    };
    setRawMode(true);
    stdin.resume();
    stdin.on('data', onData);
  });
}
