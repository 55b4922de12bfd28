import { availableParallelism } from 'node:os';
import { InvalidConfigError, loadConfig } from './app-config';

describe('loadConfig', () => {
  it('applies the documented defaults', () => {
    expect(loadConfig({})).toMatchObject({
      port: 3000,
      profile: 'local',
      minWorkers: 1,
      maxWorkers: availableParallelism(),
      model: 'mobilenet_v2_1.0_224_quant',
      modelMirror: undefined,
      maxAttempts: 3,
    });
    expect(loadConfig({}).dataDir).toMatch(/data$/);
  });

  it('reads values from the environment', () => {
    expect(
      loadConfig({ PORT: '8080', DATA_DIR: '/tmp/x', MIN_WORKERS: '2', MAX_WORKERS: '4' }),
    ).toMatchObject({
      port: 8080,
      dataDir: '/tmp/x',
      minWorkers: 2,
      maxWorkers: 4,
    });
  });

  it('names every invalid setting in one clear error', () => {
    expect(() => loadConfig({ PORT: 'eighty', PROFILE: 'gcp' })).toThrow(InvalidConfigError);
    expect(() => loadConfig({ PORT: 'eighty', PROFILE: 'gcp' })).toThrow(/PORT[\s\S]*PROFILE/);
  });

  it('refuses a minimum above the maximum', () => {
    expect(() => loadConfig({ MIN_WORKERS: '3', MAX_WORKERS: '2' })).toThrow(
      /MIN_WORKERS must not exceed MAX_WORKERS/,
    );
  });
});
