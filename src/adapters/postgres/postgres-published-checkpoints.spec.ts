import { freshSchema, PostgresServer, startPostgresServer } from '../../../test/support/postgres-server';
import { describePublishedCheckpointsContract } from '../../checkpoint/published-checkpoints.contract';
import { PostgresPublishedCheckpoints } from './postgres-published-checkpoints';

let server: PostgresServer;
beforeAll(async () => {
  server = await startPostgresServer();
}, 60_000);
afterAll(() => server?.stop());

describePublishedCheckpointsContract('postgres', {
  create: (pieceBytes) =>
    PostgresPublishedCheckpoints.open({ url: server.url, schema: freshSchema(), pieceBytes }),
});
