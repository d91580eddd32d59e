export declare function writeAtomic(file: string, contents: string | Uint8Array): void;
export declare function writeBuildMeta(outDir: string, inputs: readonly string[], startedAt?: Date): void;
export declare function isBuildFresh(root: string, outDir: string, outputs: readonly string[]): boolean;
