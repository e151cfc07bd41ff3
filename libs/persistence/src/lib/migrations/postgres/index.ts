import { CreateKeyCapsulePostgres } from './1767225600000-create-key-capsule';

/** In order of application; listed, not globbed, because the apps are bundled. */
export const POSTGRES_MIGRATIONS = [CreateKeyCapsulePostgres];
