export declare const STAMP_FILE: string;

export interface SourceFingerprint {
  files: number;
  bytes: number;
  newest: number;
}

export declare function sourceFingerprint(dir: string): SourceFingerprint;

export declare function compiledEntry(packageRoot: string, env?: NodeJS.ProcessEnv): { entry: string | null; reason: string | null };
