import { InvalidConfigError, loadConfig } from './app-config';

describe('loadConfig', () => {
  it('applies the documented defaults', () => {
    expect(loadConfig({})).toMatchObject({ port: 3000, profile: 'local' });
    expect(loadConfig({}).dataDir).toMatch(/data$/);
  });

  it('reads values from the environment', () => {
    expect(loadConfig({ PORT: '8080', DATA_DIR: '/tmp/x' })).toEqual({
      port: 8080,
      dataDir: '/tmp/x',
      profile: 'local',
    });
  });

  it('names every invalid setting in one clear error', () => {
    expect(() => loadConfig({ PORT: 'eighty', PROFILE: 'gcp' })).toThrow(InvalidConfigError);
    expect(() => loadConfig({ PORT: 'eighty', PROFILE: 'gcp' })).toThrow(/PORT[\s\S]*PROFILE/);
  });
});
