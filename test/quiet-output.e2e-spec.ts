import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { REPO_ROOT } from './support/paths';

describe('the test output', () => {
  it('shows what the code under test wrote only for the test that failed, under its name', () => {
    const config = {
      rootDir: REPO_ROOT,
      roots: ['<rootDir>/test/fixtures'],
      testMatch: ['**/quiet-output.fixture.js'],
      testEnvironment: '<rootDir>/test/support/quiet-environment.js',
    };
    const jest = spawnSync(
      process.execPath,
      [join(REPO_ROOT, 'node_modules', 'jest', 'bin', 'jest.js'), '--config', JSON.stringify(config), '--ci'],
      { cwd: REPO_ROOT, encoding: 'utf8', timeout: 60_000 },
    );
    const output = `${jest.stdout}${jest.stderr}`;

    expect(jest.status).toBe(1);
    expect(output).toContain('1 failed, 1 passed');
    expect(output).toContain('----- output while "fails, having written a line" failed -----');
    expect(output).toContain('line from the failing test');
    expect(output).toContain('console line from the failing test');
    expect(output).not.toContain('line from the passing test');
  });
});
