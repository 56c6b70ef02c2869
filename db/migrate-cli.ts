import { loadConfig, requireDatabaseUrl } from '../domain/config';
import { runMigrations } from './migrate';

runMigrations(requireDatabaseUrl(loadConfig()))
  .then(() => console.log('migrations applied'))
  .catch((err) => {
    console.error(err);
    process.exit(1);
  });
