import { existsSync } from 'node:fs';
import * as path from 'node:path';

/**
 * The mirror directories to try, in order: `MODEL_MIRROR` (resolved against the working directory)
 * when set, then `../shared/models` beside the repository when it exists. Both use the layout the
 * manifests' `mirrorPath` describes (`<id>/model.onnx`).
 */
export function defaultMirrorDirs(repoRoot: string, env: NodeJS.ProcessEnv): string[] {
  const dirs: string[] = [];
  if (env.MODEL_MIRROR) dirs.push(path.resolve(env.MODEL_MIRROR));
  const shared = path.resolve(repoRoot, '..', 'shared', 'models');
  if (existsSync(shared) && !dirs.includes(shared)) dirs.push(shared);
  return dirs;
}

/**
 * The repository root: the nearest directory at or above `startDir` holding both `package.json` and
 * `models/`. Works from `src/…` under jest and from `dist/…` after a build.
 */
export function findRepoRoot(startDir: string): string {
  for (let dir = path.resolve(startDir); ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, 'package.json')) && existsSync(path.join(dir, 'models'))) return dir;
    if (path.dirname(dir) === dir)
      throw new Error(`No repository root (package.json + models/) above ${startDir}`);
  }
}
