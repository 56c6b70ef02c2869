import { loadConfig, requireDatabaseUrl } from '../domain/config';
import { createLogger } from '../logging/logger';
import { runMigrations } from './migrate';

const config = loadConfig();
const logger = createLogger({ name: 'migrate', level: config.LOG_LEVEL });

runMigrations(requireDatabaseUrl(config))
  .then(() => logger.info('migrations applied'))
  .catch((err: unknown) => {
    logger.fatal({ err }, 'migrations failed');
    process.exit(1);
  });
