import { TestingModule } from '@nestjs/testing';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Counter, Histogram, Registry } from 'prom-client';
import { bootWithScriptedEffects } from '../../test/support/scripted-effects';
import { testConfig } from '../config/app-config';
import { ProjectionsModule } from '../projections/projections.module';
import { MetricsModule } from './metrics.module';

const DASHBOARD = join(__dirname, '..', '..', 'deploy', 'grafana', 'dashboard.json');

interface Dashboard {
  panels: Array<{ title: string; targets: Array<{ expr: string }> }>;
}

/** The series names a scrape can hold: each family, and a histogram's `_bucket`, `_count` and `_sum`. */
function seriesNames(exposition: string): Map<string, string> {
  const names = new Map<string, string>();
  for (const [, family, type] of exposition.matchAll(/^# TYPE (\S+) (\S+)$/gm)) {
    names.set(family, family);
    if (type === 'histogram' || type === 'summary')
      for (const suffix of ['_bucket', '_count', '_sum']) names.set(family + suffix, family);
  }
  return names;
}

/** The label names of each family, as the scrape's `# HELP` lines do not say them: from its samples. */
function labelsOf(exposition: string, family: string): Set<string> {
  const labels = new Set<string>();
  for (const [, name, body] of exposition.matchAll(/^([a-zA-Z_:][\w:]*)\{([^}]*)\}/gm))
    if (name === family || name.startsWith(`${family}_`))
      for (const [, label] of body.matchAll(/([a-zA-Z_]\w*)="/g)) labels.add(label);
  return labels;
}

/**
 * The metric names and label names a PromQL expression uses: what remains once strings, ranges,
 * numbers and function calls are set aside, and the names in `{…}` matchers and `by (…)`.
 */
function namesIn(expr: string): { metrics: string[]; labels: string[] } {
  const labels: string[] = [];
  let rest = expr.replace(/"(?:[^"\\]|\\.)*"/g, '""');
  rest = rest.replace(/\b(?:by|without)\s*\(([^)]*)\)/g, (_, names: string) => {
    labels.push(...names.split(',').map((name) => name.trim()));
    return ' ';
  });
  rest = rest.replace(/\{([^}]*)\}/g, (_, body: string) => {
    for (const [, label] of body.matchAll(/([a-zA-Z_]\w*)\s*(?:=~|!~|!=|=)/g)) labels.push(label);
    return ' ';
  });
  rest = rest.replace(/\[[^\]]*\]/g, ' ').replace(/\b\d+(?:\.\d+)?(?:e\d+)?\b/g, ' ');
  const metrics = [...rest.matchAll(/([a-zA-Z_:][\w:]*)\s*(\()?/g)]
    .filter(([, , call]) => call === undefined)
    .map(([, name]) => name);
  return { metrics, labels };
}

describe('deploy/grafana/dashboard.json', () => {
  let dataDir: string;
  let moduleRef: TestingModule;
  let exposition: string;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'dashboard-'));
    moduleRef = await bootWithScriptedEffects({
      config: testConfig({ port: 0, dataDir }),
      imports: [ProjectionsModule, MetricsModule],
    });
    // Labelled series appear once observed: one of each, through the metrics themselves.
    const registry = moduleRef.get(Registry);
    (registry.getSingleMetric('eir_upload_latency_seconds') as Histogram).observe(
      { route: '/api/jobs', status_code: '202' },
      0.01,
    );
    (registry.getSingleMetric('eir_scaling_decisions_total') as Counter).inc({ action: 'hold' });
    exposition = await registry.metrics();
  });
  afterAll(async () => {
    await moduleRef?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const dashboard = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as Dashboard;
  const queries = dashboard.panels.flatMap((panel) =>
    panel.targets.map((target) => [panel.title, target.expr] as const),
  );

  it('has panels for throughput, latency, backlog, fleet, scaling decisions and webhooks', () => {
    const names = queries.flatMap(([, expr]) => namesIn(expr).metrics);
    for (const metric of [
      'eir_classification_latency_seconds_count',
      'eir_classification_latency_seconds_bucket',
      'eir_upload_latency_seconds_bucket',
      'eir_request_queue_messages',
      'eir_workers',
      'eir_scaling_decisions_total',
      'eir_webhook_attempts_total',
    ])
      expect(names).toContain(metric);
  });

  it.each(queries)('%s: %s names only metrics and labels the service exports', (_title, expr) => {
    const exported = seriesNames(exposition);
    const { metrics, labels } = namesIn(expr);
    expect(metrics.length).toBeGreaterThan(0);
    expect(metrics.filter((metric) => !exported.has(metric))).toEqual([]);
    const known = new Set(metrics.flatMap((metric) => [...labelsOf(exposition, exported.get(metric)!)]));
    expect(labels.filter((label) => !known.has(label))).toEqual([]);
  });
});
