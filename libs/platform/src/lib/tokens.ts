export const SERVICE_CONFIG = Symbol('ServiceConfig');
export const DATABASE = Symbol('Database');
