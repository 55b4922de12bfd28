import { existsSync } from 'node:fs';
import * as path from 'node:path';

/**
 * The mirror directories to try for models, in order: `MODEL_MIRROR` (resolved against the working
 * directory) when set, then `../shared/models` beside the repository when it exists. Both use the
 * layout the manifests' `mirrorPath` describes (`<id>/model.onnx`).
 */
export function defaultMirrorDirs(repoRoot: string, env: NodeJS.ProcessEnv): string[] {
  return mirrorDirsFor(repoRoot, env.MODEL_MIRROR, 'models');
}

/**
 * Mirror directories for one kind of file: `explicit` (a variable such as `MODEL_MIRROR`, resolved
 * against the working directory) when set, then `../shared/<sharedFolder>` beside the repository
 * when it exists.
 */
export function mirrorDirsFor(
  repoRoot: string,
  explicit: string | undefined,
  sharedFolder: 'models' | 'datasets',
): string[] {
  const dirs: string[] = [];
  if (explicit) dirs.push(path.resolve(explicit));
  const shared = path.resolve(repoRoot, '..', 'shared', sharedFolder);
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
