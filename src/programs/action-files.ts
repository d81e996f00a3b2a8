import { readdirSync, readFileSync, statSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';

/**
 * PyExecutorHub's before/after actions: `actions/act_before.*` and `actions/act_after.*` beside
 * config.yaml, any language by extension, disabled by a `.disabled` suffix (`act_before.py.disabled`),
 * and the dependencies they declare in `actions/requirements.txt` or `actions/package.json`.
 * Read from disk at each execution, so adding, editing or disabling one needs no reload.
 */

export interface ActionFiles {
  directory: string;
  /** File names relative to the actions folder, in name order (several languages may sit side by side). */
  before: string[];
  after: string[];
  /** Files seen but not run, with why: `act_before.py.disabled` → disabled. */
  disabled: string[];
  requirements: DependencyFile | null;
  packageJson: DependencyFile | null;
}

export interface DependencyFile {
  name: string;
  /** sha256 of the content: installs are cached by it. */
  hash: string;
}

const ACTION_FILE = /^act_(before|after)\.[A-Za-z0-9]+$/;
const DISABLED_FILE = /^act_(before|after)\.[A-Za-z0-9.]*\.disabled$/;

function dependencyFile(directory: string, name: string): DependencyFile | null {
  try {
    const content = readFileSync(join(directory, name));
    return { name, hash: createHash('sha256').update(content).digest('hex').slice(0, 16) };
  } catch {
    return null;
  }
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** What the actions folder holds now; an absent folder holds nothing. */
export function findActionFiles(directory: string): ActionFiles {
  let names: string[];
  try {
    names = readdirSync(directory).sort();
  } catch {
    names = [];
  }
  const files: ActionFiles = { directory, before: [], after: [], disabled: [], requirements: null, packageJson: null };
  for (const name of names) {
    if (!isFile(join(directory, name))) continue;
    const match = ACTION_FILE.exec(name);
    if (match) files[match[1] as 'before' | 'after'].push(name);
    else if (DISABLED_FILE.test(name)) files.disabled.push(name);
  }
  if (names.includes('requirements.txt')) files.requirements = dependencyFile(directory, 'requirements.txt');
  if (names.includes('package.json')) files.packageJson = dependencyFile(directory, 'package.json');
  return files;
}

/** The cache key of an install: what is installed, and where it must run (an image, or this host). */
export function dependencyKey(files: ActionFiles, context: string): string | null {
  const parts = [files.requirements?.hash, files.packageJson?.hash].filter((part): part is string => Boolean(part));
  if (parts.length === 0) return null;
  return createHash('sha256').update(`${context}\n${parts.join('\n')}`).digest('hex').slice(0, 20);
}
